using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Kosmo.Idp.Tests.Browser;

/// <summary>
/// The KOSMO Web portal of manual p.13 as a relying app that nobody here wrote the protocol side
/// of: ASP.NET Core's own OpenID Connect handler (code flow, PKCE) signs members in, and an API of
/// its own (<c>/api/me</c>) validates the provider's access tokens against the JWKS with JwtBearer,
/// and the provider's back-channel logout ends its sessions (<see cref="PortalBackchannelLogout"/>).
/// Configured as docs/integrating-an-app.md tells app developers.
/// </summary>
public sealed class PortalApp : IAsyncDisposable
{
    public const string CallbackPath = "/signin-oidc";
    public const string SignedOutCallbackPath = "/signout-callback-oidc";
    public const string SocietyName = "健康保険組合 KOSMO Web";
    public const string NoNotices = "お知らせはありません";
    public const string ApiConfirmed = "API: 確認済み";
    public const string ApiScope = "portal.api";
    public const string ApiAudience = "kosmo-portal-api";

    /// <summary>The service tiles of the top page, in the manual's order.</summary>
    public static readonly IReadOnlyList<string> ServiceNames =
        ["医療費情報", "人間ドック等予約", "電子申請", "証明書発行申請", "健康診断予約", "Travel Service", "資格情報の取得"];

    private static readonly HtmlEncoder Html = HtmlEncoder.Create(UnicodeRanges.All);
    private readonly WebApplication _app;

    private PortalApp(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    public static async Task<PortalApp> StartAsync(Uri url, Uri issuer, string clientId, string secret)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url.GetLeftPart(UriPartial.Authority));
        builder.Logging.ClearProviders();
        builder.Services.AddHttpClient();
        builder.Services.AddSingleton<PortalBackchannelLogout.EndedSessions>();
        builder.Services
            .AddAuthentication(options =>
            {
                options.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                options.DefaultChallengeScheme = OpenIdConnectDefaults.AuthenticationScheme;
            })
            .AddCookie(cookie =>
            {
                cookie.Cookie.Name = "portal_session";
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                cookie.Events.OnValidatePrincipal = PortalBackchannelLogout.RefuseEndedSessionAsync;
            })
            .AddOpenIdConnect(options =>
            {
                options.Authority = issuer.ToString();
                options.RequireHttpsMetadata = false; // the test's provider listens on plain http
                options.ClientId = clientId;
                options.ClientSecret = secret;
                options.ResponseType = OpenIdConnectResponseType.Code;
                // The handler's default for code is form_post; a cross-site POST would leave the
                // correlation cookie behind now that it can't be Secure (plain http). A GET redirect keeps it.
                options.ResponseMode = OpenIdConnectResponseMode.Query;
                options.UsePkce = true;
                options.Scope.Clear();
                options.Scope.Add("openid");
                options.Scope.Add("profile");
                options.Scope.Add("offline_access");
                options.Scope.Add(ApiScope); // the access token is then addressed to the portal's API
                options.SaveTokens = true;
                options.RemoteAuthenticationTimeout = TimeSpan.FromHours(1); // a first login takes longer than the default 15 minutes
                options.MapInboundClaims = false;
                options.ClaimActions.Remove("acr");
                options.TokenValidationParameters.NameClaimType = "name";
                options.CallbackPath = CallbackPath;
                options.SignedOutCallbackPath = SignedOutCallbackPath;
                options.SignedOutRedirectUri = "/signed-out";
                options.CorrelationCookie.SameSite = SameSiteMode.Lax;
                options.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                options.NonceCookie.SameSite = SameSiteMode.Lax;
                options.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                options.Events.OnMessageReceived = context =>
                {
                    // RFC 9207: the answer must come from the provider the member was sent to.
                    if (context.ProtocolMessage.GetParameter("iss") is { } responseIssuer
                        && !string.Equals(responseIssuer, issuer.ToString(), StringComparison.Ordinal))
                    {
                        context.Fail("The authorization response names an unexpected issuer: " + responseIssuer);
                    }

                    return Task.CompletedTask;
                };
                options.Events.OnRemoteFailure = async context =>
                {
                    // Shown in the browser (and its screenshot) rather than lost in a log.
                    context.HandleResponse();
                    context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                    await WritePageAsync(context.Response, "ログインに失敗しました",
                        $"<p id=\"failure\">{Html.Encode(context.Failure?.ToString() ?? "")}</p>");
                };
            })
            .AddJwtBearer(options =>
            {
                options.Authority = issuer.ToString(); // discovery and the JWKS are read from here
                options.RequireHttpsMetadata = false;
                options.MapInboundClaims = false;
                options.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = issuer.ToString(),
                    ValidAudience = ApiAudience, // a token meant for another API is refused
                    ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
                    ValidTypes = ["at+jwt"],
                    NameClaimType = "sub",
                };
            });
        builder.Services.AddAuthorization(options =>
            options.AddPolicy("api", policy => policy
                .AddAuthenticationSchemes(JwtBearerDefaults.AuthenticationScheme)
                .RequireAuthenticatedUser()
                .RequireClaim("acr")));

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/favicon.ico", () => Results.NoContent());
        app.MapGet("/", (HttpContext context, IHttpClientFactory clients) => TopPageAsync(context, clients, issuer)).RequireAuthorization();
        app.MapPost(PortalBackchannelLogout.Path, (Delegate)PortalBackchannelLogout.ReceiveAsync);
        app.MapGet("/api/me", (ClaimsPrincipal user) => Results.Json(new
        {
            sub = user.FindFirstValue("sub"),
            acr = user.FindFirstValue("acr"),
            scope = user.FindFirstValue("scope"),
        })).RequireAuthorization("api");
        app.MapGet("/signout", async context =>
        {
            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            await context.SignOutAsync(OpenIdConnectDefaults.AuthenticationScheme, new AuthenticationProperties { RedirectUri = "/signed-out" });
        });
        app.MapGet("/signed-out", context => WritePageAsync(context.Response, "ログアウトしました",
            "<p id=\"signed-out\">ログアウトしました。</p><p><a href=\"/\">もう一度ログインする</a></p>"));

        await app.StartAsync();
        return new PortalApp(app, url);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    /// <summary>The top page: the society's services, the notices, and the API's answer to the saved access token.</summary>
    /// <param name="issuer">The provider, whose account page the portal links to: members change their settings there.</param>
    private static async Task TopPageAsync(HttpContext context, IHttpClientFactory clients, Uri issuer)
    {
        var name = context.User.FindFirstValue("name") ?? context.User.FindFirstValue("preferred_username") ?? "";
        var accessToken = await context.GetTokenAsync("access_token");
        using var api = clients.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{context.Request.Scheme}://{context.Request.Host}/api/me");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await api.SendAsync(request);
        string apiResult;
        if (response.IsSuccessStatusCode)
        {
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            apiResult = $"{ApiConfirmed} (sub: {body.RootElement.GetProperty("sub").GetString()})";
        }
        else
        {
            apiResult = $"API: 拒否されました ({(int)response.StatusCode} {response.Headers.WwwAuthenticate})";
        }

        // The API's answer is for the tests to read (hidden): the guide's pictures of this page are printed for members.
        var tiles = string.Join("", ServiceNames.Select(s => $"<li class=\"tile\">{Html.Encode(s)}</li>"));
        await WritePageAsync(context.Response, "トップページ", $"""
            <p class="member" id="member-name">{Html.Encode(name)} 様</p>
            <section aria-labelledby="services-title">
              <h2 id="services-title">サービス</h2>
              <ul class="tiles">{tiles}</ul>
            </section>
            <section aria-labelledby="notices-title">
              <h2 id="notices-title">お知らせ</h2>
              <p id="notices">{NoNotices}</p>
            </section>
            <p id="api-check" hidden>{Html.Encode(apiResult)}</p>
            <p><a href="{Html.Encode(new Uri(issuer, "account").ToString())}" id="account-settings">アカウント設定</a></p>
            <p><a href="/signout" id="signout">ログアウト</a></p>
            """);
    }

    private static async Task WritePageAsync(HttpResponse response, string title, string body)
    {
        response.ContentType = "text/html; charset=utf-8";
        await response.WriteAsync($$"""
            <!DOCTYPE html>
            <html lang="ja">
            <head>
              <meta charset="utf-8" />
              <meta name="viewport" content="width=device-width, initial-scale=1" />
              <title>{{Html.Encode(title)}} - {{SocietyName}}</title>
              <style>
                body { font-family: "Noto Sans CJK JP", sans-serif; margin: 0; color: #1a1a1a; background: #f4f6f8; }
                header { background: #0b4f8a; color: #fff; padding: 1rem 1.5rem; }
                header h1 { margin: 0; font-size: 1.4rem; }
                main { max-width: 60rem; margin: 0 auto; padding: 1rem 1.5rem; }
                .tiles { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr)); gap: .75rem; }
                .tile { background: #fff; border: 1px solid #c5cdd6; border-radius: .5rem; padding: 1.25rem 1rem; font-weight: bold; text-align: center; }
                section { margin-bottom: 1.5rem; }
                a { color: #0b4f8a; }
              </style>
            </head>
            <body>
              <header><h1>{{SocietyName}}</h1></header>
              <main>
              {{body}}
              </main>
            </body>
            </html>
            """);
    }
}
