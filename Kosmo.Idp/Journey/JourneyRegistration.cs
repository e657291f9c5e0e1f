using Kosmo.Idp.Journey.Email;
using Kosmo.Idp.Journey.NewPassword;
using Kosmo.Idp.Journey.Otp;
using Kosmo.Idp.Journey.Terms;
using Kosmo.Idp.Members;
using Kosmo.Idp.Members.Otp;
using Kosmo.Idp.Protocol;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Journey;

public static class JourneyRegistration
{
    public static IServiceCollection AddMemberJourney(this IServiceCollection services)
    {
        services.AddSingleton<MemberJourney>();
        services.AddOptions<MemberSessionOptions>().BindConfiguration(MemberSessionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        // The cookie's sliding lifetime is the idle timeout; MemberJourney counts the time since the last sign-in.
        services.AddOptions<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions>(MemberSession.Scheme)
            .Configure<IOptions<MemberSessionOptions>>((cookie, session) =>
            {
                cookie.ExpireTimeSpan = session.Value.IdleTimeout;
                cookie.Events.OnValidatePrincipal = EndedSessions.ValidateAsync;
                cookie.Events.OnCheckSlidingExpiration = EndedSessions.CheckSlidingExpirationAsync;
                // Signing in on the login page, the cookie handler would itself redirect to the query's
                // returnUrl, unchecked: a raw "é" there fails the request inside the sign-in. The
                // pages redirect by themselves, through MemberJourney.UrlOf.
                cookie.Events.OnRedirectToReturnUrl = _ => Task.CompletedTask;
            });
        services.AddOptions<JourneyOptions>().BindConfiguration(JourneyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<TermsOptions>().BindConfiguration(TermsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<TermsOptions>, TermsFilesExist>();
        services.AddSingleton<TermsOfUse>();
        services.AddOptions<EmailVerificationOptions>().BindConfiguration(EmailVerificationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<EmailVerificationService>();
        services.AddOptions<PasswordPolicyOptions>().BindConfiguration(PasswordPolicyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<PasswordPolicy>();
        services.AddOptions<OtpOptions>().BindConfiguration(OtpOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<TotpAuthenticator>();
        services.AddScoped<EmailOtpSender>();
        services.AddScoped<RecoveryCodes>();
        services.AddScoped<AttemptThrottle>();
        services.AddScoped<PasswordRecheck>();
        services.AddSingleton<Account.AccountOutcome>();
        services.AddOptions<Password.AddressThrottleOptions>().BindConfiguration(Password.AddressThrottleOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<Password.AddressThrottle>();
        services.AddScoped<SessionTermination>();
        services.AddScoped<Account.MemberServices>();
        services.AddOptions<Account.AccountOptions>().BindConfiguration(Account.AccountOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<Confirm.RecentSignIn>();
        return services;
    }
}
