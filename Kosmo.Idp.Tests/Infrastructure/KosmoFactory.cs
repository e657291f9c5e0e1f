using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Serilog.Core;

namespace Kosmo.Idp.Tests.Infrastructure;

/// <summary>
/// The real service (Program) in the Testing environment on its own PostgreSQL database, with
/// two relying apps registered as configuration would: the portal (confidential) and checkup
/// booking (public).
/// </summary>
public sealed class KosmoFactory : WebApplicationFactory<Program>
{
    public const string PortalClientId = "portal";
    public const string PortalSecret = "portal-secret-0123456789-abcdefghijklmnop";
    public const string PortalRedirect = "https://portal.test/signin-oidc";
    public const string PortalPostLogout = "https://portal.test/signed-out";
    public const string CheckupClientId = "checkup-booking";
    public const string CheckupRedirect = "https://checkup.test/callback";

    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;

    public KosmoFactory(string connectionString, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        ConnectionString = connectionString;
        _services = services;
        Mail = MailCatcher.StartAsync().GetAwaiter().GetResult();
        _settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Kosmo"] = connectionString,
            ["Protocol:Issuer"] = "http://localhost/",
            ["Protocol:RequireHttps"] = "false",
            ["RateLimits:LoginPostsPerMinutePerAddress"] = "10000",
            ["Shutdown:DrainDelay"] = "00:00:00",
            ["Mail:Delivery"] = "SendGrid",
            ["Mail:SendGrid:ApiKey"] = MailCatcher.ApiKey,
            ["Mail:SendGrid:Host"] = Mail.Url.ToString(),
            ["RelyingApps:Apps:0:ClientId"] = PortalClientId,
            ["RelyingApps:Apps:0:DisplayName"] = "KOSMO Web ポータル",
            ["RelyingApps:Apps:0:EnglishDisplayName"] = "KOSMO Web portal",
            ["RelyingApps:Apps:0:Kind"] = "Confidential",
            ["RelyingApps:Apps:0:ClientSecret"] = PortalSecret,
            ["RelyingApps:Apps:0:RedirectUris:0"] = PortalRedirect,
            ["RelyingApps:Apps:0:PostLogoutRedirectUris:0"] = PortalPostLogout,
            ["RelyingApps:Apps:0:Scopes:0"] = "profile",
            ["RelyingApps:Apps:0:Scopes:1"] = "offline_access",
            ["RelyingApps:Apps:0:Scopes:2"] = "email",
            ["RelyingApps:Apps:0:AllowClientCredentials"] = "true",
            ["RelyingApps:Apps:0:HomeUrl"] = "https://portal.test/",
            ["RelyingApps:Apps:1:ClientId"] = CheckupClientId,
            ["RelyingApps:Apps:1:DisplayName"] = "健康診断予約",
            ["RelyingApps:Apps:1:Kind"] = "Public",
            ["RelyingApps:Apps:1:RedirectUris:0"] = CheckupRedirect,
            ["RelyingApps:Apps:1:Scopes:0"] = "profile",
            ["RelyingApps:Apps:1:Scopes:1"] = "offline_access",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }
    }

    public string ConnectionString { get; }

    public LogRecorder Logs { get; } = new();

    /// <summary>What the service sent through SendGrid.</summary>
    public MailCatcher Mail { get; }

    public static async Task<KosmoFactory> StartAsync(IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var factory = new KosmoFactory(await PostgresServer.CreateDatabaseAsync(), settings, services);
        _ = factory.Server; // starts the host: migrations, keys, apps
        return factory;
    }

    /// <summary>
    /// Waits until every notice to a member saved so far has been tried once (they go out in the
    /// background, after the page answered), so a test can look at what was mailed, or was not.
    /// </summary>
    public async Task NoticesTriedAsync()
    {
        var started = DateTime.UtcNow;
        while (true)
        {
            await using var scope = Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<Kosmo.Idp.Persistence.KosmoDbContext>();
            var untried = await db.PendingNotices.AsNoTracking().Where(n => n.Attempts == 0).ToListAsync();
            if (untried.Count == 0)
            {
                return;
            }

            Assert.That(DateTime.UtcNow - started, Is.LessThan(TimeSpan.FromSeconds(20)),
                "notices still untried after 20 s: " + string.Join(", ", untried.Select(n => $"{n.Notice} due {n.NextAttemptAt:O}")));
            // A send the background sender gave up on (a database hiccup on a busy machine) waits for the
            // retry round, which runs on the test's clock: run one, as a replica would in time.
            if (DateTime.UtcNow - started > TimeSpan.FromSeconds(2))
            {
                await scope.ServiceProvider.GetRequiredService<Kosmo.Idp.Mail.Notices.NoticeDelivery>().SendDueAsync(CancellationToken.None);
            }

            await Task.Delay(20);
        }
    }

    /// <summary>A browser-like client: cookies kept, redirects not followed (tests look at each hop).</summary>
    public HttpClient Browser() => CreateClient(new WebApplicationFactoryClientOptions
    {
        AllowAutoRedirect = false,
        HandleCookies = true,
        BaseAddress = new Uri("http://localhost"),
    });

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Mail.DisposeAsync();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // Host settings reach Program as arguments, before it reads configuration to register services.
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureServices(services =>
        {
            services.AddSingleton<ILogEventSink>(Logs);
            _services?.Invoke(services);
        });
    }
}
