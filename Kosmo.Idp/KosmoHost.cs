using Kosmo.Idp.DemoApp;
using Kosmo.Idp.Journey;
using Kosmo.Idp.Journey.Password;
using Kosmo.Idp.Localization;
using Kosmo.Idp.Mail;
using Kosmo.Idp.Members;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Operations.Health;
using Kosmo.Idp.Operations.Logging;
using Kosmo.Idp.Operations.Maintenance;
using Kosmo.Idp.Operations.Startup;
using Kosmo.Idp.Operations.Telemetry;
using Kosmo.Idp.Operations.Web;
using Kosmo.Idp.Operations;
using Kosmo.Idp.Persistence;
using Kosmo.Idp.Protocol;
using Kosmo.Idp.Protocol.Clients;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp;

/// <summary>The composition root: which parts make up the service, and the order requests pass through them.</summary>
public static class KosmoHost
{
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        // The slim builder leaves out IIS integration and the EventLog and Debug log providers, which
        // a Linux container never uses (2 MB of idle memory, docs/benchmarks.md); HTTPS endpoints in
        // Kestrel's configuration keep working for a developer who sets one.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = ContentRootBesideTheBinary(args) });
        builder.WebHost.UseKestrelHttpsConfiguration();
        // "Server: Kestrel" on every answer only tells a scanner what to try.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        builder.AddKosmoLogging();
        builder.AddKosmoTelemetry();

        var services = builder.Services;
        services.RemoveDefaultHostFiltering();
        services.AddSingleton(TimeProvider.System);
        // First hosted service: schema, keys and apps are ready before anything else starts.
        services.AddSingleton<PreparationState>();
        services.AddHostedService<StartupPreparation>();

        builder.AddKosmoPersistence();
        builder.AddKosmoProtocol();

        services.AddOptions<PasswordHashingOptions>().BindConfiguration(PasswordHashingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SignInLockoutOptions>().BindConfiguration(SignInLockoutOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DemoDataOptions>().BindConfiguration(DemoDataOptions.Section).ValidateOnStart();
        services.AddOptions<Shared.SocietyContactOptions>().BindConfiguration(Shared.SocietyContactOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<DemoDataOptions>, DemoDataValidation>();
        services.AddSingleton<PasswordHashing>();
        services.AddSingleton<SignInLockout>();
        services.AddScoped<DemoData>();
        services.AddHttpContextAccessor();
        services.AddScoped<AuditLog>();
        services.AddRosterImport();
        services.AddMemberOperators();

        services.AddAuthentication(MemberSession.Scheme)
            .AddCookie(MemberSession.Scheme, cookie =>
            {
                cookie.Cookie.Name = "kosmo_session";
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Lax;
                cookie.Cookie.SecurePolicy = SecureCookies.PolicyFor(builder.Environment);
                cookie.LoginPath = MemberJourney.PathOf(JourneyStep.SignIn);
                cookie.ReturnUrlParameter = "returnUrl";
                cookie.SlidingExpiration = true;
            });
        services.AddAuthorization();
        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = "kosmo_antiforgery";
            // As the request: with Always, antiforgery refuses to render a form for a plain-http
            // request at all (an error page in place of the login page); the token is no secret.
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        // A year, the usual minimum for browsers' preload lists; subdomains are the society's to decide.
        services.AddHsts(hsts => hsts.MaxAge = TimeSpan.FromDays(365));
        services.AddKosmoLocalization();
        services.AddRazorPages(pages =>
            {
                pages.RootDirectory = "/";
                pages.Conventions.ConfigureFilter(new NoMatchingHandler());
                pages.Conventions.ConfigureFilter(new ExpiredForms());
            })
            // Fields are checked on the server only (no client validation script is served), so the
            // data-val-* attributes, English texts among them, would only be noise in every form.
            .AddViewOptions(views => views.HtmlHelperOptions.ClientValidationEnabled = false)
            .AddDataAnnotationsLocalization(localization =>
                localization.DataAnnotationLocalizerProvider = (_, factory) => factory.Create(typeof(Strings)));
        services.AddMemberJourney();
        services.AddKosmoMail(builder.Configuration);
        // Japanese text is written as text, not as numeric character references.
        services.Configure<Microsoft.Extensions.WebEncoders.WebEncoderOptions>(encoder =>
            encoder.TextEncoderSettings = new System.Text.Encodings.Web.TextEncoderSettings(System.Text.Unicode.UnicodeRanges.All));
        services.AddKosmoHealth();
        services.AddKosmoProxy();
        services.AddOptions<PruningOptions>().BindConfiguration(PruningOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<Pruner>();
        services.AddHostedService<PruningService>();
        services.AddDemoApp();
        return builder;
    }

    /// <summary>
    /// Settings, terms texts and pages are found from the content root, by default the current
    /// folder. Started from another folder (an operator's shell in the container, a service
    /// manager's default), the service would run without appsettings.json and fail on a missing
    /// setting that says nothing of the folder: the folder of the binary is taken instead, unless
    /// the content root is named (ASPNETCORE_CONTENTROOT, DOTNET_CONTENTROOT, --contentRoot).
    /// </summary>
    private static string? ContentRootBesideTheBinary(string[] args)
    {
        const string settings = "appsettings.json";
        return Environment.GetEnvironmentVariable("ASPNETCORE_CONTENTROOT") is null
            && Environment.GetEnvironmentVariable("DOTNET_CONTENTROOT") is null
            && !args.Any(arg => arg.StartsWith("--contentRoot", StringComparison.OrdinalIgnoreCase))
            && !File.Exists(Path.Combine(Directory.GetCurrentDirectory(), settings))
            && File.Exists(Path.Combine(AppContext.BaseDirectory, settings))
            ? AppContext.BaseDirectory
            : null;
    }

    public static WebApplication Build(string[] args)
    {
        var app = CreateBuilder(args).Build();

        // Before anything can answer, so every answer carries them (host filtering's own 400 included);
        // again after the exception handler, which clears the headers of a response it takes over.
        app.UseSecurityHeaders();
        // Where the framework puts it; health checks and the metrics port pass whatever their Host.
        app.UseKosmoHostFiltering();
        app.UseMetricsPortForMetricsOnly();
        // Then: everything after it (HSTS, rate limits, the protocol's https rule) sees the member's address and scheme.
        app.UseKosmoProxy();
        // Outside the error handling: one event per request, with the status the client got, and
        // not a second one for the error page that re-executes the pipeline.
        app.UseKosmoRequestLogging();

        app.UseExceptionHandler("/error");
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }

        app.UseSecurityHeaders();
        app.UseRequestLocalization();
        // People get a page for a bare error status; programs (token, userinfo, …) keep OAuth's JSON.
        app.UseWhen(context => !ProtocolPaths.IsMachineEndpoint(context.Request.Path),
            branch => branch.UseStatusCodePagesWithReExecute("/error/{0}"));
        app.UseUnreadableFormsAsEmpty();
        app.UseBodylessUserInfoPosts();
        app.UseDiscoveryHeadRequests();
        app.UseStaticFiles();
        app.UseKosmoHealth();
        app.UseRouting();
        // Before OpenIddict (it answers inside authentication): a browser app's preflight is answered here.
        app.UseBrowserAppCors();
        // After CORS: a browser app must be able to read this one's own answers too (a 503 "busy").
        app.UseTokenRequestsInOneTransaction();
        app.UseBrowserCookieKept();
        app.UseAuthenticationOnceKeysAreLoaded();
        app.UseSessionCheckFailures();
        app.UseAuthorization();
        app.UseAntiforgery();

        app.MapKosmoMetrics();
        app.MapKosmoProtocol();
        app.MapRazorPages();
        app.MapDemoApp();
        return app;
    }
}
