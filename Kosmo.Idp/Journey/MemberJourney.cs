using Kosmo.Idp.Journey.Terms;
using Kosmo.Idp.Members;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Journey;

/// <summary>
/// The one place that decides what a member must do next, from the member's stored state and
/// this session. Pages and the authorization endpoint ask it instead of checking flags, so a
/// change of state (a new terms version, an operator's reset) brings back exactly that step.
/// </summary>
public sealed class MemberJourney(
    IOptionsMonitor<TermsOptions> terms, IOptionsMonitor<MemberSessionOptions> sessions, Confirm.RecentSignIn recentSignIn, TimeProvider time)
{
    public JourneyStep Next(Member? member, MemberSession? session, AuthenticationDemand? demand = null)
    {
        demand ??= AuthenticationDemand.None;
        if (member is null || session is null || session.MemberId != member.Id || member.IsLocked
            || session.Version != member.SessionVersion || IsTooOld(session))
        {
            return JourneyStep.SignIn;
        }

        // A member who has a second factor proves it before anything else is shown or changed.
        if (member.HasSecondFactor && !session.HasSecondFactor)
        {
            return JourneyStep.OtpChallenge;
        }

        if (member.BirthDateConfirmedAt is null && member.BirthDate is not null)
        {
            return JourneyStep.ConfirmBirthDate;
        }

        if (member.AcceptedTermsVersion != terms.CurrentValue.Version)
        {
            return JourneyStep.AcceptTerms;
        }

        if (member.EmailVerifiedAt is null)
        {
            return JourneyStep.VerifyEmail;
        }

        if (member.OtpMethod is null)
        {
            return JourneyStep.ChooseOtpMethod;
        }

        if (member.PasswordMustChange)
        {
            return JourneyStep.NewPassword;
        }

        if (member.OtpMethod == OtpMethod.App && member.AppOtpEnabledAt is null)
        {
            return JourneyStep.SetUpAppOtp;
        }

        // Email codes need no setup: the first code the member receives and types enables them.
        if (!session.HasSecondFactor)
        {
            return JourneyStep.OtpChallenge;
        }

        // A relying app that asks for an authenticator app gets one: added if the member has none, then used.
        if (demand.RequiresApp && member.AppOtpEnabledAt is null)
        {
            return JourneyStep.SetUpAppOtp;
        }

        if (demand.RequiresApp && session.SecondFactor != AuthenticationMethods.ByApp)
        {
            return JourneyStep.OtpChallenge;
        }

        if (member.RecoveryCodesSavedAt is null && recentSignIn.Holds(session)
            && Recovery.AskedRecoveryCodes.AreFor(member, session))
        {
            // A new set replaces the one the member keeps: like the account page's changes, only
            // from a recent sign-in. An older session is not stopped for it (a set asked for and left
            // unsaved would otherwise hold every session of the member, and its apps, at 本人確認):
            // the set is shown at the member's next fresh sign-in, or from the account page. Nor is
            // another device's recent session, when one device asked for the set (AskedRecoveryCodes).
            return JourneyStep.SaveRecoveryCodes;
        }

        return JourneyStep.Done;
    }

    /// <summary>
    /// The password and a code were last typed longer ago than Session:ReauthenticateAfter: the
    /// member signs in again, on the provider and (at the next refresh) for every app.
    /// </summary>
    public bool IsTooOld(MemberSession session) => TimeLeft(session) < TimeSpan.Zero;

    /// <summary>How long the sign-in may still be used before the member must sign in again.</summary>
    public TimeSpan TimeLeft(MemberSession session) =>
        session.AuthenticatedAt + sessions.CurrentValue.ReauthenticateAfter - time.GetUtcNow();

    public static string PathOf(JourneyStep step) => step switch
    {
        JourneyStep.SignIn => "/login",
        JourneyStep.ConfirmBirthDate => "/journey/birthdate",
        JourneyStep.AcceptTerms => "/journey/terms",
        JourneyStep.VerifyEmail => "/journey/email",
        JourneyStep.ChooseOtpMethod => "/journey/method",
        JourneyStep.NewPassword => "/journey/new-password",
        JourneyStep.SetUpAppOtp => "/journey/otp-setup/app",
        JourneyStep.OtpChallenge => "/journey/otp",
        JourneyStep.ConfirmIdentity => "/journey/confirm",
        JourneyStep.SaveRecoveryCodes => "/journey/recovery-codes",
        _ => "/",
    };

    /// <summary>
    /// Where to send the member for <paramref name="step"/>, carrying the relying app's request
    /// along; once done, back to that request (only ever a local URL) or the provider's home.
    /// </summary>
    public static string UrlOf(JourneyStep step, string? returnUrl)
    {
        var local = IsLocalUrl(returnUrl) ? returnUrl : null;
        if (step == JourneyStep.Done)
        {
            return local ?? "/";
        }

        return local is null ? PathOf(step) : PathOf(step) + "?returnUrl=" + Uri.EscapeDataString(local);
    }

    /// <summary>
    /// IUrlHelper.IsLocalUrl's rule (a rooted path, not protocol-relative "//host" or "/\host"),
    /// and printable ASCII only: a browser sends a URL percent-encoded, and a raw "é" or control
    /// character would be refused by the server when it writes the Location header, failing the
    /// request after its work (a code used up, a choice saved) is done.
    /// </summary>
    public static bool IsLocalUrl([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/'
        && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'))
        && url.All(c => c is >= ' ' and <= '~');
}
