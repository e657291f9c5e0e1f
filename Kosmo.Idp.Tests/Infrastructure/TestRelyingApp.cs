using System.IdentityModel.Tokens.Jwt;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;

namespace Kosmo.Idp.Tests.Infrastructure;

/// <summary>
/// A relying app written against the protocol only, with a member's browser beside it: builds
/// authorization requests, follows the member through our pages, redeems codes at the token endpoint.
/// </summary>
public sealed class TestRelyingApp(KosmoFactory factory, string clientId, string redirectUri, string? secret)
{
    public HttpClient Browser { get; } = factory.Browser();

    public HttpClient Backchannel { get; } = factory.Browser();

    public static TestRelyingApp Portal(KosmoFactory factory) =>
        new(factory, KosmoFactory.PortalClientId, KosmoFactory.PortalRedirect, KosmoFactory.PortalSecret);

    public static TestRelyingApp Checkup(KosmoFactory factory) =>
        new(factory, KosmoFactory.CheckupClientId, KosmoFactory.CheckupRedirect, null);

    /// <summary>The portal's end-session request for the sign-in its id_token names, back to its signed-out page.</summary>
    public static string PortalEndSessionUrl(string idToken) =>
        "/connect/endsession?id_token_hint=" + Uri.EscapeDataString(idToken) + "&post_logout_redirect_uri=" + Uri.EscapeDataString(KosmoFactory.PortalPostLogout);

    /// <summary>Signs the member in to this app (the mailed code too when asked) and returns the app's id_token.</summary>
    public async Task<JwtSecurityToken> SignedInAsync(string userId, string password)
    {
        var tokens = await SignedInTokensAsync(userId, password);
        Assert.That(tokens.IdToken, Is.Not.Null, tokens.Body.ToString());
        return new JwtSecurityTokenHandler().ReadJwtToken(tokens.IdToken);
    }

    public string AuthorizeUrl(Pkce? pkce, IDictionary<string, string?>? overrides = null)
    {
        var parameters = new Dictionary<string, string?>
        {
            ["client_id"] = clientId,
            ["redirect_uri"] = redirectUri,
            ["response_type"] = "code",
            ["scope"] = "openid profile offline_access",
            ["state"] = "state-" + Guid.NewGuid().ToString("N"),
            ["nonce"] = "nonce-" + Guid.NewGuid().ToString("N"),
            ["code_challenge"] = pkce?.Challenge,
            ["code_challenge_method"] = pkce is null ? null : "S256",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            parameters[key] = value;
        }

        return QueryHelpers.AddQueryString("/connect/authorize", parameters.Where(p => p.Value is not null)!);
    }

    /// <summary>From the authorization request to the redirect back to the app, typing user ID and password on the way.</summary>
    public async Task<AuthorizationResponse> SignInAsync(string userId, string password, Pkce pkce, IDictionary<string, string?>? overrides = null)
    {
        var response = await Browser.GetAsync(AuthorizeUrl(pkce, overrides));
        if (response.Headers.Location?.OriginalString.StartsWith("/login", StringComparison.Ordinal) == true)
        {
            var loginPage = await Browser.GetAsync(response.Headers.Location);
            var afterLogin = await HtmlForm.SubmitAsync(Browser, loginPage, new Dictionary<string, string> { ["UserId"] = userId, ["Password"] = password });
            Assert.That(afterLogin.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), "login should succeed and go back to the authorization request");
            if (afterLogin.Headers.Location!.OriginalString.StartsWith("/journey/otp", StringComparison.Ordinal))
            {
                afterLogin = await OtpMail.CompleteAsync(factory, Browser, afterLogin, userId.ToLowerInvariant() + "@example.jp");
                Assert.That(afterLogin.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), "the mailed code should be accepted");
            }

            response = await Browser.GetAsync(afterLogin.Headers.Location);
        }

        return AuthorizationResponse.From(response, redirectUri);
    }

    /// <summary>Signs the member in with a PKCE pair of its own and redeems the code: the tokens the app holds afterwards.</summary>
    public async Task<TokenResponse> SignedInTokensAsync(string userId, string password, IDictionary<string, string?>? overrides = null)
    {
        var pkce = Pkce.Create();
        return await RedeemAsync((await SignInAsync(userId, password, pkce, overrides)).Code!, pkce.Verifier);
    }

    public async Task<TokenResponse> RedeemAsync(string code, string? verifier) =>
        await TokenAsync(new Dictionary<string, string?>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = redirectUri,
            ["code_verifier"] = verifier,
        });

    public async Task<TokenResponse> RefreshAsync(string refreshToken) =>
        await TokenAsync(new Dictionary<string, string?> { ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken });

    public async Task<TokenResponse> TokenAsync(IDictionary<string, string?> parameters) =>
        await TokenResponse.ReadAsync(await Backchannel.PostAsync("/connect/token", Form(parameters)));

    /// <summary>Asks the introspection endpoint about a token, authenticated as this app.</summary>
    public async Task<TokenResponse> IntrospectAsync(string token) =>
        await TokenResponse.ReadAsync(await PostBackchannelAsync("/connect/introspect", new Dictionary<string, string?> { ["token"] = token }));

    public async Task<HttpResponseMessage> PostBackchannelAsync(string path, IDictionary<string, string?> parameters) =>
        await Backchannel.PostAsync(path, Form(parameters));

    private FormUrlEncodedContent Form(IDictionary<string, string?> parameters)
    {
        var all = new Dictionary<string, string?>(parameters) { ["client_id"] = clientId };
        if (secret is not null)
        {
            all["client_secret"] = secret;
        }

        return new FormUrlEncodedContent(all.Where(p => p.Value is not null).Select(p => new KeyValuePair<string, string>(p.Key, p.Value!)));
    }
}

public sealed record AuthorizationResponse(HttpResponseMessage Raw, IReadOnlyDictionary<string, string> Parameters)
{
    public string? Code => Parameters.GetValueOrDefault("code");

    public string? Error => Parameters.GetValueOrDefault("error");

    public static AuthorizationResponse From(HttpResponseMessage response, string redirectUri)
    {
        var location = response.Headers.Location;
        if (response.StatusCode != HttpStatusCode.Redirect || location is null
            || !location.OriginalString.StartsWith(redirectUri + "?", StringComparison.Ordinal))
        {
            return new AuthorizationResponse(response, new Dictionary<string, string>());
        }

        var query = QueryHelpers.ParseQuery(location.Query);
        return new AuthorizationResponse(response, query.ToDictionary(p => p.Key, p => p.Value.ToString()));
    }
}

public sealed record TokenResponse(HttpStatusCode Status, JsonElement Body)
{
    public string? AccessToken => Get("access_token");
    public string? RefreshToken => Get("refresh_token");
    public string? IdToken => Get("id_token");
    public string? Error => Get("error");

    public string? Get(string name) => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty(name, out var value) ? value.GetString() : null;

    public static async Task<TokenResponse> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        var body = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        return new TokenResponse(response.StatusCode, body);
    }

    public AuthenticationHeaderValue Bearer() => new("Bearer", AccessToken);
}
