using System.IdentityModel.Tokens.Jwt;
using System.Net;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.Abstractions;

namespace Kosmo.Idp.Tests.Protocol;

/// <summary>The introspection endpoint docs/integrating-an-app.md offers confidential apps: live tokens are described, dead ones are not.</summary>
public sealed class IntrospectionTests
{
    private const string UserId = "K0003";
    private const string Password = "correct-horse-3";
    private const string OtherAppId = "medical-expense";
    private const string OtherAppSecret = "medical-secret-0123456789-abcdefghijklmn";
    private KosmoFactory _factory = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _factory = await KosmoFactory.StartAsync(new Dictionary<string, string?>
        {
            ["RelyingApps:Apps:2:ClientId"] = OtherAppId,
            ["RelyingApps:Apps:2:DisplayName"] = "医療費情報",
            ["RelyingApps:Apps:2:Kind"] = "Confidential",
            ["RelyingApps:Apps:2:ClientSecret"] = OtherAppSecret,
            ["RelyingApps:Apps:2:RedirectUris:0"] = "https://medical.test/signin-oidc",
        });
        await TestMembers.AddAsync(_factory, UserId, Password);
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _factory.DisposeAsync();

    [Test]
    public async Task Introspection_OfALiveAccessToken_IsActive_WithTheMemberAndTheApp()
    {
        var (app, tokens) = await SignedInPortalAsync();
        var answer = await app.IntrospectAsync(tokens.AccessToken!);

        Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.OK), answer.Body.ToString());
        Assert.That(answer.Body.GetProperty("active").GetBoolean(), Is.True);
        Assert.That(answer.Get("sub"), Is.EqualTo(new JwtSecurityTokenHandler().ReadJwtToken(tokens.IdToken).Subject), "the member the id_token named");
        Assert.That(answer.Get("client_id"), Is.EqualTo(KosmoFactory.PortalClientId));
    }

    [Test]
    public async Task Introspection_OfARevokedOrMadeUpToken_IsInactive_AndSaysNothingMore()
    {
        var (app, tokens) = await SignedInPortalAsync();
        Assert.That((await app.IntrospectAsync(tokens.AccessToken!)).Body.GetProperty("active").GetBoolean(), Is.True, "live before it is revoked");
        var revoke = await app.PostBackchannelAsync("/connect/revoke",
            new Dictionary<string, string?> { ["token"] = tokens.AccessToken, ["token_type_hint"] = "access_token" });
        Assert.That(revoke.StatusCode, Is.EqualTo(HttpStatusCode.OK));

        foreach (var (token, what) in new[] { (tokens.AccessToken!, "revoked"), ("not-a-token-" + Guid.NewGuid().ToString("N"), "made up") })
        {
            var answer = await app.IntrospectAsync(token);
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.OK), what);
            Assert.That(answer.Body.GetProperty("active").GetBoolean(), Is.False, what);
            Assert.That(answer.Body.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "active" }), what + ": an inactive token is not described");
        }
    }

    [Test]
    public async Task RevokingTheRefreshToken_EndsTheAccessTokensOfTheSameSignInToo()
    {
        var (app, tokens) = await SignedInPortalAsync();
        var (_, otherSignIn) = await SignedInPortalAsync();

        var revoke = await app.PostBackchannelAsync("/connect/revoke",
            new Dictionary<string, string?> { ["token"] = tokens.RefreshToken, ["token_type_hint"] = "refresh_token" });
        Assert.That(revoke.StatusCode, Is.EqualTo(HttpStatusCode.OK));

        Assert.That((await app.IntrospectAsync(tokens.AccessToken!)).Body.GetProperty("active").GetBoolean(), Is.False, "RFC 7009 2.1");
        Assert.That((await app.RefreshAsync(tokens.RefreshToken!)).Error, Is.EqualTo("invalid_grant"));
        Assert.That((await app.IntrospectAsync(otherSignIn.AccessToken!)).Body.GetProperty("active").GetBoolean(), Is.True, "another sign-in's tokens live on");
    }

    [Test]
    public async Task Introspection_WithoutTheAppsSecret_IsRefusedAsAnUnknownClient_AndAPublicAppIsNotAllowedIt()
    {
        var (_, tokens) = await SignedInPortalAsync();
        var unauthenticated = new Dictionary<string, TestRelyingApp>
        {
            ["no secret"] = new(_factory, KosmoFactory.PortalClientId, KosmoFactory.PortalRedirect, secret: null),
            ["wrong secret"] = new(_factory, KosmoFactory.PortalClientId, KosmoFactory.PortalRedirect, "wrong-secret-wrong-secret-wrong-secret"),
        };
        foreach (var (who, caller) in unauthenticated)
        {
            AssertRefused(await caller.IntrospectAsync(tokens.AccessToken!), HttpStatusCode.Unauthorized, "invalid_client", who);
        }

        var anonymous = await _factory.Browser().PostAsync("/connect/introspect",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = tokens.AccessToken! }));
        AssertRefused(await TokenResponse.ReadAsync(anonymous), HttpStatusCode.Unauthorized, "invalid_client", "no client at all");

        // A public app has no secret to prove who asks, so it may not read other apps' tokens.
        AssertRefused(await TestRelyingApp.Checkup(_factory).IntrospectAsync(tokens.AccessToken!), HttpStatusCode.BadRequest, "unauthorized_client", "public app");
    }

    [Test]
    public async Task Introspection_ByAnotherConfidentialApp_SaysTheTokenIsInactive_AndNothingAboutTheMember()
    {
        var (_, tokens) = await SignedInPortalAsync();
        var other = new TestRelyingApp(_factory, OtherAppId, "https://medical.test/signin-oidc", OtherAppSecret);

        foreach (var (token, what) in new[] { (tokens.AccessToken!, "access token"), (tokens.RefreshToken!, "refresh token") })
        {
            var answer = await other.IntrospectAsync(token);
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.OK), what);
            Assert.That(answer.Body.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "active" }), what + ": which member uses which app is not told");
            Assert.That(answer.Body.GetProperty("active").GetBoolean(), Is.False, what);
        }
    }

    [Test]
    public async Task AnIdTokenOrACode_IsAnsweredInactive_NotWithAnError()
    {
        var app = TestRelyingApp.Portal(_factory);
        var pkce = Pkce.Create();
        var code = (await app.SignInAsync(UserId, Password, pkce)).Code!;
        var unused = await app.IntrospectAsync(code);
        var tokens = await app.RedeemAsync(code, pkce.Verifier);

        foreach (var (answer, what) in new[] { (unused, "authorization code"), (await app.IntrospectAsync(tokens.IdToken!), "id_token") })
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.OK), what + ": " + answer.Body);
            Assert.That(answer.Body.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "active" }), what + ": RFC 7662 2.2");
            Assert.That(answer.Body.GetProperty("active").GetBoolean(), Is.False, what);
        }
    }

    [Test]
    public async Task AnAlreadyRedeemedRefreshToken_ShownToIntrospection_OrToAnotherAppsRevocation_EndsNothing()
    {
        var (app, first) = await SignedInPortalAsync();
        var current = await app.RefreshAsync(first.RefreshToken!);
        Assert.That(current.RefreshToken, Is.Not.Null, current.Body.ToString());
        var other = new TestRelyingApp(_factory, OtherAppId, "https://medical.test/signin-oidc", OtherAppSecret);

        Assert.That((await app.IntrospectAsync(first.RefreshToken!)).Body.GetProperty("active").GetBoolean(), Is.False, "the app's own old token");
        Assert.That((await other.IntrospectAsync(first.RefreshToken!)).Body.GetProperty("active").GetBoolean(), Is.False, "another app asking");
        var revoke = await other.PostBackchannelAsync("/connect/revoke",
            new Dictionary<string, string?> { ["token"] = first.RefreshToken, ["token_type_hint"] = "refresh_token" });
        Assert.That(revoke.StatusCode, Is.EqualTo(HttpStatusCode.OK), "RFC 7009: an invalid token is no error");

        Assert.That((await app.IntrospectAsync(current.AccessToken!)).Body.GetProperty("active").GetBoolean(), Is.True, "only a replay at the token endpoint ends the sign-in");
        Assert.That((await app.RefreshAsync(current.RefreshToken!)).RefreshToken, Is.Not.Null, "the current refresh token still works");
    }

    [Test]
    public async Task AUsedRefreshToken_ReplayedUnderAnotherAppsClientId_IsRefused_AndEndsNothing()
    {
        var (app, first) = await SignedInPortalAsync();
        var current = await app.RefreshAsync(first.RefreshToken!);
        Assert.That(current.RefreshToken, Is.Not.Null, current.Body.ToString());

        // A public client_id needs no secret: anyone who saw the old token could send this.
        var replay = await TestRelyingApp.Checkup(_factory).TokenAsync(new Dictionary<string, string?>
        {
            ["grant_type"] = "refresh_token", ["refresh_token"] = first.RefreshToken,
        });

        Assert.That((replay.Status, replay.Error), Is.EqualTo((HttpStatusCode.BadRequest, "invalid_grant")), replay.Body.ToString());
        Assert.That((await app.IntrospectAsync(current.AccessToken!)).Body.GetProperty("active").GetBoolean(), Is.True, "the portal's sign-in goes on");
        var next = await app.RefreshAsync(current.RefreshToken!);
        Assert.That(next.RefreshToken, Is.Not.Null, next.Body.ToString());

        // The same replay by the app it was issued to is theft: the whole family ends.
        Assert.That((await app.RefreshAsync(first.RefreshToken!)).Error, Is.EqualTo("invalid_grant"));
        Assert.That((await app.RefreshAsync(next.RefreshToken!)).Error, Is.EqualTo("invalid_grant"));
    }

    [Test]
    public async Task TheAppRevokingItsOwnAlreadyRedeemedRefreshToken_EndsTheSignIn()
    {
        var (app, first) = await SignedInPortalAsync();
        var current = await app.RefreshAsync(first.RefreshToken!);
        Assert.That(current.RefreshToken, Is.Not.Null, current.Body.ToString());

        var revoke = await app.PostBackchannelAsync("/connect/revoke",
            new Dictionary<string, string?> { ["token"] = first.RefreshToken, ["token_type_hint"] = "refresh_token" });
        Assert.That(revoke.StatusCode, Is.EqualTo(HttpStatusCode.OK));

        Assert.That((await app.IntrospectAsync(current.AccessToken!)).Body.GetProperty("active").GetBoolean(), Is.False, "the app asked for its grant to end");
        Assert.That((await app.RefreshAsync(current.RefreshToken!)).Error, Is.EqualTo("invalid_grant"));
        // The grant itself, not only the tokens that existed then: a token being issued at that moment dies too.
        var authorizationId = new JwtSecurityTokenHandler().ReadJwtToken(current.AccessToken).Claims.Single(c => c.Type == "oi_au_id").Value;
        await using var scope = _factory.Services.CreateAsyncScope();
        var authorizations = scope.ServiceProvider.GetRequiredService<IOpenIddictAuthorizationManager>();
        Assert.That(await authorizations.GetStatusAsync((await authorizations.FindByIdAsync(authorizationId))!), Is.EqualTo(OpenIddictConstants.Statuses.Revoked));
    }

    private static void AssertRefused(TokenResponse answer, HttpStatusCode status, string error, string who)
    {
        Assert.That((answer.Status, answer.Error), Is.EqualTo((status, error)), who);
        Assert.That(answer.Body.TryGetProperty("active", out _), Is.False, who + ": nothing about the token");
    }

    private async Task<(TestRelyingApp App, TokenResponse Tokens)> SignedInPortalAsync()
    {
        var app = TestRelyingApp.Portal(_factory);
        var tokens = await app.SignedInTokensAsync(UserId, Password);
        Assert.That(tokens.AccessToken, Is.Not.Null, tokens.Body.ToString());
        return (app, tokens);
    }
}
