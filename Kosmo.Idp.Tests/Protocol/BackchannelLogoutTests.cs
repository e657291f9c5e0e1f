using System.IdentityModel.Tokens.Jwt;
using System.Text.Json;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using static Kosmo.Idp.Tests.Journey.JourneySteps;

namespace Kosmo.Idp.Tests.Protocol;

/// <summary>
/// OpenID Connect Back-Channel Logout: the portal registered a BackchannelLogoutUri, and when a
/// member's sign-in there ends on the provider, the provider posts it a logout token it can check
/// against the JWKS, naming the member and the session of its id_token.
/// </summary>
public sealed class BackchannelLogoutTests
{
    private const string Password = "Logout-Member-2026";
    private LogoutCatcher _portal = null!;
    private KosmoFactory _factory = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _portal = await LogoutCatcher.StartAsync();
        _factory = await KosmoFactory.StartAsync(new Dictionary<string, string?> { ["RelyingApps:Apps:0:BackchannelLogoutUri"] = _portal.Endpoint.AbsoluteUri });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _factory.DisposeAsync();
        await _portal.DisposeAsync();
    }

    [SetUp]
    public void Forget() => _portal.Clear();

    [Test]
    public async Task Discovery_AnnouncesBackchannelLogout_WithSessions()
    {
        var metadata = JsonDocument.Parse(await _factory.Browser().GetStringAsync("/.well-known/openid-configuration")).RootElement;
        Assert.That(metadata.GetProperty("backchannel_logout_supported").GetBoolean(), Is.True);
        Assert.That(metadata.GetProperty("backchannel_logout_session_supported").GetBoolean(), Is.True);
    }

    [Test]
    public async Task SigningOut_PostsTheAppALogoutTokenSignedByTheProvider_NamingTheMemberAndTheSessionOfItsIdToken()
    {
        var (app, idToken) = await SignedInAsync("L0001");
        Assert.That(idToken.Claims.Single(c => c.Type == "sid").Value, Is.Not.Empty, "the id_token names its provider session");

        var ended = await app.Browser.GetAsync(TestRelyingApp.PortalEndSessionUrl(idToken.RawData));
        Assert.That(ended.Headers.Location!.OriginalString, Does.StartWith(KosmoFactory.PortalPostLogout));

        var token = await ValidatedAsync(_portal.Tokens.Single());
        Assert.That(token.Subject, Is.EqualTo(idToken.Subject));
        Assert.That(token.GetClaim("sid").Value, Is.EqualTo(idToken.Claims.Single(c => c.Type == "sid").Value));
        Assert.That(token.GetPayloadValue<JsonElement>("events").TryGetProperty("http://schemas.openid.net/event/backchannel-logout", out _), Is.True);
        Assert.That(token.TryGetPayloadValue<string>("nonce", out _), Is.False, "a logout token never carries a nonce");
        Assert.That(token.Id, Is.Not.Empty);
    }

    [Test]
    public async Task SigningOutTheOtherDevices_TellsTheAppAboutTheOtherDevicesSessionOnly()
    {
        var (there, thereToken) = await SignedInAsync("L0002");
        var (here, hereToken) = await SignedInAsync("L0002", create: false);

        var signedOut = await HtmlForm.SubmitAsync(here.Browser, await here.Browser.GetAsync("/account"), new Dictionary<string, string>(), "form[action*=SignOutOthers]");
        Assert.That(signedOut.Headers.Location!.OriginalString, Does.Contain("done=signed-out"));

        var sids = new List<string>();
        foreach (var raw in _portal.Tokens)
        {
            sids.Add((await ValidatedAsync(raw)).GetClaim("sid").Value);
        }

        Assert.That(sids, Is.EqualTo(new[] { thereToken.Claims.Single(c => c.Type == "sid").Value }));
        Assert.That(sids, Does.Not.Contain(hereToken.Claims.Single(c => c.Type == "sid").Value));
    }

    [Test]
    public async Task AnAppsEndSessionRequest_EndsTheSignInItNames_EvenWhenTheBrowsersProviderCookieIsGone()
    {
        var (app, idToken) = await SignedInAsync("L0004");
        var pkce = Pkce.Create();
        var tokens = await app.RedeemAsync((await AuthorizeAgainAsync(app, pkce)).Code!, pkce.Verifier);

        // Another browser (the provider's cookie expired, or was cleared): only the id_token_hint names the sign-in.
        var ended = await _factory.Browser().GetAsync(TestRelyingApp.PortalEndSessionUrl(idToken.RawData));
        Assert.That(ended.Headers.Location!.OriginalString, Does.StartWith(KosmoFactory.PortalPostLogout));

        Assert.That((await app.RefreshAsync(tokens.RefreshToken!)).Error, Is.EqualTo("invalid_grant"), "the app's refresh token from that sign-in is revoked");
        Assert.That((await ValidatedAsync(_portal.Tokens.Single())).GetClaim("sid").Value, Is.EqualTo(idToken.Claims.Single(c => c.Type == "sid").Value));
    }

    private async Task<(TestRelyingApp App, JwtSecurityToken IdToken)> SignedInAsync(string userId, bool create = true)
    {
        if (create)
        {
            await TestMembers.AddAsync(_factory, userId, Password);
        }

        var app = TestRelyingApp.Portal(_factory);
        return (app, await app.SignedInAsync(userId, Password));
    }

    private static async Task<AuthorizationResponse> AuthorizeAgainAsync(TestRelyingApp app, Pkce pkce) =>
        AuthorizationResponse.From(await app.Browser.GetAsync(app.AuthorizeUrl(pkce)), KosmoFactory.PortalRedirect);

    /// <summary>What the app does with a logout token: signature against the JWKS, issuer, audience, type.</summary>
    private async Task<JsonWebToken> ValidatedAsync(string raw)
    {
        var jwks = new JsonWebKeySet(await _factory.Browser().GetStringAsync("/.well-known/jwks"));
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(raw, new TokenValidationParameters
        {
            IssuerSigningKeys = jwks.GetSigningKeys(),
            ValidIssuer = "http://localhost/",
            ValidAudience = KosmoFactory.PortalClientId,
            ValidTypes = ["logout+jwt"],
        });
        Assert.That(result.IsValid, Is.True, result.Exception?.Message);
        return (JsonWebToken)result.SecurityToken;
    }
}
