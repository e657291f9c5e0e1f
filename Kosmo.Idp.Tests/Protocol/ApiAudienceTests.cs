using System.Net;
using Kosmo.Idp.Protocol.Apis;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Kosmo.Idp.Tests.Protocol;

/// <summary>
/// Access tokens name the APIs they may be sent to (<c>aud</c>): those of the API scopes granted,
/// configured under "Apis", so an API that checks its audience refuses tokens meant for another.
/// </summary>
public sealed class ApiAudienceTests
{
    private const string MedicalApi = "medical-expense-api";
    private const string MedicalApiSecret = "medical-api-secret-0123456789-abcdefghij";
    private KosmoFactory _factory = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _factory = await KosmoFactory.StartAsync(new Dictionary<string, string?>
        {
            ["Apis:0:Name"] = MedicalApi,
            ["Apis:0:DisplayName"] = "医療費情報 API",
            ["Apis:0:Scopes:0"] = "medical-expense.read",
            ["Apis:1:Name"] = "checkup-api",
            ["Apis:1:DisplayName"] = "健診予約 API",
            ["Apis:1:Scopes:0"] = "checkup.book",
            // The portal may call the medical-expense API, not the checkup one.
            ["RelyingApps:Apps:0:Scopes:3"] = "medical-expense.read",
            // The API itself, registered so that it can introspect the tokens sent to it.
            ["RelyingApps:Apps:2:ClientId"] = MedicalApi,
            ["RelyingApps:Apps:2:DisplayName"] = "医療費情報 API",
            ["RelyingApps:Apps:2:Kind"] = "Confidential",
            ["RelyingApps:Apps:2:ClientSecret"] = MedicalApiSecret,
        });
        await TestMembers.AddAsync(_factory, "P0001", "Api-Audience-2026");
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _factory.DisposeAsync();

    [Test]
    public async Task Discovery_ListsTheDeclaredApisScopes_WithTheProtocolsOwn()
    {
        using var discovery = System.Text.Json.JsonDocument.Parse(await _factory.Browser().GetStringAsync("/.well-known/openid-configuration"));
        var scopes = discovery.RootElement.GetProperty("scopes_supported").EnumerateArray().Select(s => s.GetString()).ToList();

        Assert.That(scopes, Is.SupersetOf(new[] { "openid", "profile", "email", "offline_access", "medical-expense.read", "checkup.book" }));
    }

    [Test]
    public async Task ClientCredentials_WithAnApiScope_GetATokenForThatApiOnly()
    {
        var tokens = await TestRelyingApp.Portal(_factory).TokenAsync(new Dictionary<string, string?>
        {
            ["grant_type"] = "client_credentials", ["scope"] = "medical-expense.read",
        });

        Assert.That(tokens.Status, Is.EqualTo(HttpStatusCode.OK), tokens.Body.ToString());
        Assert.That(Audiences(tokens.AccessToken!), Is.EqualTo(new[] { MedicalApi }));
    }

    [Test]
    public async Task AMembersToken_WithAnApiScope_NamesThatApi_AndKeepsItWhenRefreshed()
    {
        var (app, tokens) = await SignedInWithTheApiAsync();
        Assert.That(Audiences(tokens.AccessToken!), Is.EqualTo(new[] { MedicalApi }));

        var refreshed = await app.RefreshAsync(tokens.RefreshToken!);
        Assert.That(Audiences(refreshed.AccessToken!), Is.EqualTo(new[] { MedicalApi }));

        // A refresh that leaves the API scope out gets a token that API refuses, and the grant stays whole.
        var withoutApi = await app.TokenAsync(new Dictionary<string, string?>
        {
            ["grant_type"] = "refresh_token", ["refresh_token"] = refreshed.RefreshToken, ["scope"] = "openid offline_access",
        });
        Assert.That(Audiences(withoutApi.AccessToken!), Is.Empty, withoutApi.Body.ToString());
        Assert.That(withoutApi.IdToken, Is.Not.Null, "openid was asked for");
        Assert.That(Audiences((await app.RefreshAsync(withoutApi.RefreshToken!)).AccessToken!), Is.EqualTo(new[] { MedicalApi }));
    }

    [Test]
    public async Task TheApiATokenNames_MayIntrospectIt_ButNotRevokeIt_SoTheAppsTokensStayValid()
    {
        var (app, tokens) = await SignedInWithTheApiAsync();
        var api = new TestRelyingApp(_factory, MedicalApi, "https://unused.test/", MedicalApiSecret);

        var described = await api.IntrospectAsync(tokens.AccessToken!);
        Assert.That(described.Body.GetProperty("active").GetBoolean(), Is.True, described.Body.ToString());

        foreach (var (token, hint) in new[] { (tokens.AccessToken!, "access_token"), (tokens.RefreshToken!, "refresh_token") })
        {
            var revoke = await api.PostBackchannelAsync("/connect/revoke", new Dictionary<string, string?> { ["token"] = token, ["token_type_hint"] = hint });
            Assert.That(revoke.StatusCode, Is.EqualTo(HttpStatusCode.OK), "RFC 7009's answer to a token the caller may not revoke, as for another app's");
        }

        Assert.That((await app.IntrospectAsync(tokens.AccessToken!)).Body.GetProperty("active").GetBoolean(), Is.True, "the access token lives on");
        // OpenIddict itself keeps refresh tokens to their app: this guards that it still does.
        Assert.That((await app.RefreshAsync(tokens.RefreshToken!)).Status, Is.EqualTo(HttpStatusCode.OK), "and so does the sign-in");
    }

    /// <summary>The portal signs the member in with the medical-expense API's scope and refresh tokens.</summary>
    private async Task<(TestRelyingApp App, TokenResponse Tokens)> SignedInWithTheApiAsync()
    {
        var app = TestRelyingApp.Portal(_factory);
        var pkce = Pkce.Create();
        var authorization = await app.SignInAsync("P0001", "Api-Audience-2026", pkce,
            new Dictionary<string, string?> { ["scope"] = "openid offline_access medical-expense.read" });
        var tokens = await app.RedeemAsync(authorization.Code!, pkce.Verifier);
        Assert.That(tokens.Status, Is.EqualTo(HttpStatusCode.OK), tokens.Body.ToString());
        return (app, tokens);
    }

    [Test]
    public async Task ARefreshForTheApiAlone_GetsItsAccessToken_AndNoIdToken()
    {
        var (app, tokens) = await SignedInWithTheApiAsync();

        var apiOnly = await app.TokenAsync(new Dictionary<string, string?>
        {
            ["grant_type"] = "refresh_token", ["refresh_token"] = tokens.RefreshToken, ["scope"] = "offline_access medical-expense.read",
        });

        Assert.That(apiOnly.Status, Is.EqualTo(HttpStatusCode.OK), apiOnly.Body.ToString());
        Assert.That(Audiences(apiOnly.AccessToken!), Is.EqualTo(new[] { MedicalApi }));
        Assert.That(apiOnly.IdToken, Is.Null, "no OpenID Connect answer was asked for");
        Assert.That((await app.RefreshAsync(apiOnly.RefreshToken!)).IdToken, Is.Not.Null, "the grant still has openid");
    }

    [Test]
    public async Task ATokenWithoutApiScopes_NamesNoApi()
    {
        var tokens = await TestRelyingApp.Portal(_factory).TokenAsync(new Dictionary<string, string?> { ["grant_type"] = "client_credentials" });

        Assert.That(tokens.Status, Is.EqualTo(HttpStatusCode.OK), tokens.Body.ToString());
        Assert.That(Audiences(tokens.AccessToken!), Is.Empty);
    }

    [TestCase("checkup.book")] // an API scope the portal is not registered for
    [TestCase("no-such.scope")]
    public async Task AScopeTheAppMayNotAskFor_IsRefused(string scope)
    {
        var tokens = await TestRelyingApp.Portal(_factory).TokenAsync(new Dictionary<string, string?>
        {
            ["grant_type"] = "client_credentials", ["scope"] = scope,
        });

        Assert.That(tokens.AccessToken, Is.Null);
        // OpenIddict answers an unknown scope with invalid_scope, a known one without permission with invalid_request.
        Assert.That(tokens.Error, Is.AnyOf("invalid_scope", "invalid_request"));
    }

    [Test]
    public void Configuration_ThatWouldMakeTokensAmbiguous_IsRefusedAtStart()
    {
        var result = new ApiOptionsValidation().Validate(null, new ApiOptions
        {
            Apis =
            [
                new Api { Name = "a-api", DisplayName = "A", Scopes = ["shared.read", "profile"] },
                new Api { Name = "b-api", DisplayName = "B", Scopes = ["shared.read"] },
                new Api { Name = "Bad Name", DisplayName = "", Scopes = [] },
            ],
        });

        Assert.That(result.Failed, Is.True);
        Assert.That(result.Failures, Has.Some.Contains("profile").And.Some.Contains("shared.read belongs to both")
            .And.Some.Contains("Bad Name").And.Some.Contains("lists no scope"));
    }

    private static IReadOnlyList<string> Audiences(string accessToken) =>
        new JsonWebToken(accessToken).Audiences.ToList();
}
