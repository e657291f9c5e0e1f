using System.IdentityModel.Tokens.Jwt;
using System.Net;
using System.Text.Json;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.IdentityModel.Tokens;

namespace Kosmo.Idp.Tests.Protocol;

public sealed class CodeFlowTests
{
    private KosmoFactory _factory = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _factory = await KosmoFactory.StartAsync();
        await TestMembers.AddAsync(_factory, "K0001", "correct-horse-1", "健保 花子");
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _factory.DisposeAsync();

    [Test]
    public async Task RelyingApp_WalksTheWholeCodeFlow_FromAuthorizeToEndSession()
    {
        var app = TestRelyingApp.Portal(_factory);
        var pkce = Pkce.Create();

        // authorize → login page → back with a code, the state and our issuer (RFC 9207)
        var authorization = await app.SignInAsync("K0001", "correct-horse-1", pkce,
            new Dictionary<string, string?> { ["state"] = "s-123" });
        Assert.That(authorization.Code, Is.Not.Null.And.Not.Empty, "code in the redirect");
        Assert.That(authorization.Parameters["state"], Is.EqualTo("s-123"));
        Assert.That(authorization.Parameters["iss"], Is.EqualTo("http://localhost/"));

        // code + verifier → tokens
        var tokens = await app.RedeemAsync(authorization.Code!, pkce.Verifier);
        Assert.That(tokens.Status, Is.EqualTo(HttpStatusCode.OK), tokens.Body.ToString());
        Assert.That(tokens.IdToken, Is.Not.Null);
        Assert.That(tokens.RefreshToken, Is.Not.Null);

        var idToken = new JwtSecurityTokenHandler().ReadJwtToken(tokens.IdToken);
        Assert.That(idToken.Claims.Select(c => c.Type), Is.SupersetOf(new[] { "sub", "auth_time", "amr", "acr" }));
        Assert.That(idToken.Claims.Where(c => c.Type == "amr").Select(c => c.Value), Is.EquivalentTo(new[] { "pwd", "otp", "mfa" }));
        var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(tokens.IdToken!.Split('.')[1])).RootElement;
        Assert.That(payload.GetProperty("amr").ValueKind, Is.EqualTo(JsonValueKind.Array), "amr is a JSON array");
        Assert.That(idToken.Claims.Single(c => c.Type == "acr").Value, Is.EqualTo("urn:kosmo:acr:mfa"));

        // userinfo with the access token
        using var userInfoRequest = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        userInfoRequest.Headers.Authorization = tokens.Bearer();
        var userInfo = await app.Backchannel.SendAsync(userInfoRequest);
        Assert.That(userInfo.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(userInfo.Headers.CacheControl?.NoStore, Is.True, "a member's profile is kept by no cache");
        var profile = JsonDocument.Parse(await userInfo.Content.ReadAsStringAsync()).RootElement;
        Assert.That(profile.GetProperty("sub").GetString(), Is.EqualTo(idToken.Subject));
        Assert.That(profile.GetProperty("name").GetString(), Is.EqualTo("健保 花子"));

        // refresh: a new pair, and the old refresh token now fails
        var refreshed = await app.RefreshAsync(tokens.RefreshToken!);
        Assert.That(refreshed.Status, Is.EqualTo(HttpStatusCode.OK), refreshed.Body.ToString());
        Assert.That(refreshed.RefreshToken, Is.Not.EqualTo(tokens.RefreshToken));
        var replay = await app.RefreshAsync(tokens.RefreshToken!);
        Assert.That(replay.Error, Is.EqualTo("invalid_grant"));

        // revocation of the current refresh token
        var revoke = await app.PostBackchannelAsync("/connect/revoke", new Dictionary<string, string?>
        {
            ["token"] = refreshed.RefreshToken,
            ["token_type_hint"] = "refresh_token",
        });
        Assert.That(revoke.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await app.RefreshAsync(refreshed.RefreshToken!)).Error, Is.EqualTo("invalid_grant"));

        // end-session: back to the app's registered page, and the provider session is gone
        var endSession = await app.Browser.GetAsync(
            "/connect/endsession?id_token_hint=" + Uri.EscapeDataString(tokens.IdToken!) +
            "&post_logout_redirect_uri=" + Uri.EscapeDataString(KosmoFactory.PortalPostLogout) + "&state=bye");
        Assert.That(endSession.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(endSession.Headers.Location!.OriginalString, Does.StartWith(KosmoFactory.PortalPostLogout + "?state=bye"));
        var again = await app.Browser.GetAsync(app.AuthorizeUrl(Pkce.Create()));
        Assert.That(again.Headers.Location!.OriginalString, Does.StartWith("/login"), "signed out of the provider");
    }

    [Test]
    public async Task EmailScope_GivesTheConfirmedAddressInTheIdTokenAndUserinfo_AndNoScopeGivesNone()
    {
        var app = TestRelyingApp.Portal(_factory);
        var pkce = Pkce.Create();
        var withEmail = await app.RedeemAsync((await app.SignInAsync("K0001", "correct-horse-1", pkce,
            new Dictionary<string, string?> { ["scope"] = "openid email" })).Code!, pkce.Verifier);
        var idToken = new JwtSecurityTokenHandler().ReadJwtToken(withEmail.IdToken);
        Assert.That(idToken.Claims.Single(c => c.Type == "email").Value, Is.EqualTo("k0001@example.jp"));
        Assert.That(idToken.Claims.Single(c => c.Type == "email_verified").Value, Is.EqualTo("true"));
        var profile = await UserInfoAsync(app, withEmail);
        Assert.That(profile.GetProperty("email").GetString(), Is.EqualTo("k0001@example.jp"));
        Assert.That(profile.GetProperty("email_verified").GetBoolean(), Is.True);

        var without = await app.SignedInTokensAsync("K0001", "correct-horse-1");
        Assert.That(new JwtSecurityTokenHandler().ReadJwtToken(without.IdToken).Claims.Select(c => c.Type), Has.None.EqualTo("email"));
        Assert.That((await UserInfoAsync(app, without)).TryGetProperty("email", out _), Is.False);
    }

    [Test]
    public async Task ARefreshAskingForFewerScopes_GetsTokensThatSayLess_WhileItsNewRefreshTokenKeepsTheWholeGrant()
    {
        var app = TestRelyingApp.Portal(_factory);
        var pkce = Pkce.Create();
        var first = await app.RedeemAsync((await app.SignInAsync("K0001", "correct-horse-1", pkce,
            new Dictionary<string, string?> { ["scope"] = "openid profile email offline_access" })).Code!, pkce.Verifier);

        var narrowed = await app.TokenAsync(new Dictionary<string, string?>
        {
            ["grant_type"] = "refresh_token", ["refresh_token"] = first.RefreshToken, ["scope"] = "openid offline_access",
        });
        Assert.That(narrowed.Status, Is.EqualTo(HttpStatusCode.OK), narrowed.Body.ToString());
        var idToken = new JwtSecurityTokenHandler().ReadJwtToken(narrowed.IdToken);
        Assert.That(idToken.Claims.Select(c => c.Type), Has.None.AnyOf("name", "preferred_username", "email"), "profile and email were not asked for");
        Assert.That(new JwtSecurityTokenHandler().ReadJwtToken(narrowed.AccessToken).Claims.Single(c => c.Type == "scope").Value.Split(' '),
            Is.EquivalentTo(new[] { "openid", "offline_access" }));
        Assert.That((await UserInfoAsync(app, narrowed)).TryGetProperty("name", out _), Is.False);

        // RFC 6749 section 6: the new refresh token's scope is the original one.
        var whole = await app.RefreshAsync(narrowed.RefreshToken!);
        Assert.That(new JwtSecurityTokenHandler().ReadJwtToken(whole.IdToken).Claims.Select(c => c.Type), Does.Contain("name").And.Contain("email"));
    }

    [Test]
    public async Task ARefreshAskingForAScopeTheSignInDidNotGrant_IsInvalidScope_AndTheRefreshTokenStillWorks()
    {
        var app = TestRelyingApp.Portal(_factory);
        var tokens = await app.SignedInTokensAsync("K0001", "correct-horse-1");

        // email: a scope the portal is registered for, which this sign-in did not ask for.
        var widened = await app.TokenAsync(new Dictionary<string, string?>
        {
            ["grant_type"] = "refresh_token", ["refresh_token"] = tokens.RefreshToken, ["scope"] = "openid email",
        });
        Assert.That(widened.Error, Is.EqualTo("invalid_scope"), widened.Body.ToString());
        Assert.That((await app.RefreshAsync(tokens.RefreshToken!)).AccessToken, Is.Not.Null, "the request was refused, not the token");
    }

    [Test]
    public async Task AnAccountLockedAfterSignIn_GetsNoNewTokens_AndNoProfileFromUserinfo()
    {
        var member = await TestMembers.AddAsync(_factory, "K0002", "correct-horse-2");
        var app = TestRelyingApp.Portal(_factory);
        var tokens = await app.SignedInTokensAsync("K0002", "correct-horse-2");
        await TestMembers.WithDbAsync(_factory, async db =>
        {
            var stored = await db.Members.FindAsync(member.Id);
            stored!.LockedAt = DateTimeOffset.UtcNow;
            stored.LockReason = Kosmo.Idp.Members.MemberLockReason.BirthDateAttempts;
            return await db.SaveChangesAsync();
        });

        var refreshed = await app.RefreshAsync(tokens.RefreshToken!);
        Assert.That(refreshed.Error, Is.EqualTo("invalid_grant"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        request.Headers.Authorization = tokens.Bearer();
        var userInfo = await app.Backchannel.SendAsync(request);
        Assert.That(userInfo.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "the access token outlives the lock, the member's data does not go with it");
        Assert.That(userInfo.Headers.WwwAuthenticate.ToString(), Does.Contain("invalid_token"));
    }

    private static async Task<JsonElement> UserInfoAsync(TestRelyingApp app, TokenResponse tokens)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        request.Headers.Authorization = tokens.Bearer();
        var response = await app.Backchannel.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    /// <summary>
    /// response_mode=form_post, which ASP.NET Core's OpenID Connect handler uses by default: the
    /// browser gets a page whose one inline script posts the code to the app, and the page's CSP
    /// must let exactly that script run (else the member is left on a blank page).
    /// </summary>
    [Test]
    public async Task FormPost_ThePagePostsTheCodeToTheApp_WithAScriptItsContentSecurityPolicyAllows()
    {
        var app = TestRelyingApp.Portal(_factory);
        Assert.That((await app.SignInAsync("K0001", "correct-horse-1", Pkce.Create())).Code, Is.Not.Null, "a provider session");
        var pkce = Pkce.Create();

        var page = await app.Browser.GetAsync(app.AuthorizeUrl(pkce, new Dictionary<string, string?> { ["response_mode"] = "form_post" }));

        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var html = await page.Content.ReadAsStringAsync();
        Assert.That(html, Does.Contain($"action=\"{KosmoFactory.PortalRedirect}\""));
        var script = System.Text.RegularExpressions.Regex.Match(html, "<script>(.*?)</script>", System.Text.RegularExpressions.RegexOptions.Singleline);
        Assert.That(script.Success, Is.True, html);
        var hash = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(script.Groups[1].Value)));
        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.That(csp, Does.Contain($"script-src 'self' 'sha256-{hash}'").And.Contain("frame-ancestors 'none'"));

        var code = System.Text.RegularExpressions.Regex.Match(html, "name=\"code\" value=\"([^\"]+)\"").Groups[1].Value;
        Assert.That((await app.RedeemAsync(System.Net.WebUtility.HtmlDecode(code), pkce.Verifier)).Status, Is.EqualTo(HttpStatusCode.OK), "the posted code works");
    }

    [Test]
    public async Task PublicApp_CompletesTheCodeFlow_WithPkceAndNoSecret()
    {
        var app = TestRelyingApp.Checkup(_factory);
        var pkce = Pkce.Create();
        var authorization = await app.SignInAsync("K0001", "correct-horse-1", pkce);
        var tokens = await app.RedeemAsync(authorization.Code!, pkce.Verifier);
        Assert.That(tokens.Status, Is.EqualTo(HttpStatusCode.OK), tokens.Body.ToString());
        Assert.That(tokens.AccessToken, Is.Not.Null);
    }

    [Test]
    public async Task AccessToken_IsASignedJwt_ThatValidatesAgainstThePublishedJwks()
    {
        var app = TestRelyingApp.Portal(_factory);
        var tokens = await app.SignedInTokensAsync("K0001", "correct-horse-1");

        var jwks = new JsonWebKeySet(await app.Backchannel.GetStringAsync("/.well-known/jwks"));
        var result = await new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().ValidateTokenAsync(tokens.AccessToken,
            new TokenValidationParameters
            {
                ValidIssuer = "http://localhost/",
                ValidateAudience = false,
                IssuerSigningKeys = jwks.GetSigningKeys(),
            });
        Assert.That(result.IsValid, Is.True, result.Exception?.Message);
        Assert.That(result.Claims["sub"], Is.Not.Null);
    }
}
