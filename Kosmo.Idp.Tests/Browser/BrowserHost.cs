using Kosmo.Idp.Tests.Infrastructure;

namespace Kosmo.Idp.Tests.Browser;

/// <summary>
/// The provider on a real port (Kestrel, not the in-memory test server) for a real browser, with
/// two relying apps beside it: the portal (a server app) and checkup booking (a browser app). The
/// provider answers on <c>localhost</c> and the apps on <c>127.0.0.1</c>: two hosts, so their
/// cookies stay apart as they would on two domains; the apps' ports keep their origins apart.
/// </summary>
public sealed class BrowserHost : IAsyncDisposable
{
    private BrowserHost(KosmoFactory provider, PortalApp portal, CheckupBookingApp checkup, Uri issuer)
    {
        Provider = provider;
        Portal = portal;
        Checkup = checkup;
        Issuer = issuer;
    }

    /// <summary>The provider, as the other tests know it: its services, its database, its mails.</summary>
    public KosmoFactory Provider { get; }

    public PortalApp Portal { get; }

    public CheckupBookingApp Checkup { get; }

    public Uri Issuer { get; }

    /// <param name="settings">Extra provider settings for one test class (say <c>Otp:EmailResendCooldown</c>).</param>
    public static async Task<BrowserHost> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var providerPort = FreePorts.Next();
        var portalPort = FreePorts.Next();
        var issuer = new Uri($"http://localhost:{providerPort}/");
        var portalUrl = new Uri($"http://127.0.0.1:{portalPort}/");
        var checkupUrl = new Uri($"http://127.0.0.1:{FreePorts.Next()}/");

        // Every KosmoFactory registers the portal (index 0, confidential) and checkup-booking (index 1,
        // public); here they get the addresses the two test apps really answer on.
        var providerSettings = new Dictionary<string, string?>
        {
            ["Protocol:Issuer"] = issuer.ToString(),
            ["RelyingApps:Apps:0:RedirectUris:0"] = new Uri(portalUrl, PortalApp.CallbackPath).ToString(),
            ["RelyingApps:Apps:0:PostLogoutRedirectUris:0"] = new Uri(portalUrl, PortalApp.SignedOutCallbackPath).ToString(),
            ["RelyingApps:Apps:0:HomeUrl"] = portalUrl.ToString(),
            ["RelyingApps:Apps:0:BackchannelLogoutUri"] = new Uri(portalUrl, PortalBackchannelLogout.Path).ToString(),
            // The portal's own API, which checks that tokens are meant for it.
            ["RelyingApps:Apps:0:Scopes:3"] = PortalApp.ApiScope,
            ["Apis:0:Name"] = PortalApp.ApiAudience,
            ["Apis:0:DisplayName"] = "KOSMO Web ポータル API",
            ["Apis:0:Scopes:0"] = PortalApp.ApiScope,
            ["RelyingApps:Apps:1:RedirectUris:0"] = new Uri(checkupUrl, CheckupBookingApp.CallbackPage).ToString(),
            ["RelyingApps:Apps:1:PostLogoutRedirectUris:0"] = new Uri(checkupUrl, CheckupBookingApp.SignedOutPage).ToString(),
            ["RelyingApps:Apps:1:HomeUrl"] = checkupUrl.ToString(),
            ["RelyingApps:Apps:1:EnglishDisplayName"] = "Health checkup booking",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            providerSettings[key] = value;
        }

        var provider = new KosmoFactory(await PostgresServer.CreateDatabaseAsync(), providerSettings);
        try
        {
            provider.UseKestrel(kestrel => kestrel.ListenLocalhost(providerPort));
            provider.StartServer(); // migrations, keys, apps, then Kestrel listens
            var portal = await PortalApp.StartAsync(portalUrl, issuer, KosmoFactory.PortalClientId, KosmoFactory.PortalSecret);
            var checkup = await CheckupBookingApp.StartAsync(checkupUrl, issuer);
            return new BrowserHost(provider, portal, checkup, issuer);
        }
        catch
        {
            await provider.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Checkup.DisposeAsync();
        await Portal.DisposeAsync();
        await Provider.DisposeAsync();
    }
}
