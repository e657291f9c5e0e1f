using Kosmo.Idp.Operations.Startup;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Kosmo.Idp.Protocol;
using Kosmo.Idp.Protocol.Clients;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.DemoApp;

/// <summary>The Development demo relying app at /demo. It talks to the provider only through the protocol, like any other app.</summary>
public static class DemoAppEndpoints
{
    private const string FlowCookie = "kosmo_demo_flow";
    private const string TokensCookie = "kosmo_demo_tokens";
    private static readonly HtmlEncoder Html = HtmlEncoder.Create(System.Text.Unicode.UnicodeRanges.All);

    public static IServiceCollection AddDemoApp(this IServiceCollection services)
    {
        services.AddOptions<DemoAppOptions>().BindConfiguration(DemoAppOptions.Section);
        services.AddHttpClient(DemoAppOptions.Backchannel);
        return services;
    }

    public static IEndpointRouteBuilder MapDemoApp(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<DemoAppOptions>>().Value;
        if (!options.Enabled)
        {
            return app;
        }

        if (app.Environment.IsDeployed())
        {
            throw new Kosmo.Idp.Operations.Startup.SettingRefusedException("DemoApp can only be enabled in Development.");
        }

        var homes = HomesOf(app.Services.GetRequiredService<IOptions<RelyingAppOptions>>().Value, options.ClientId);
        var demo = app.MapGroup("/demo").DisableAntiforgery();
        // The app's addresses, and where it sends its client secret, come from its registration,
        // never from the Host header: a request naming another host could otherwise have the
        // secret posted to that host. Any of its registered addresses will do (another port).
        demo.AddEndpointFilter(async (context, next) =>
        {
            if (homes.Contains(new Uri(BaseUrl(context.HttpContext) + "/")))
            {
                return await next(context);
            }

            // 127.0.0.1:5189 for localhost:5189: the registered address on the port this instance answers on.
            var home = homes.FirstOrDefault(h => h.Port == context.HttpContext.Request.Host.Port) ?? homes[0];
            return Page("別のアドレスです / Wrong address",
                $"""
                <p>デモ アプリは <a href="{Html.Encode(home + "demo")}">{Html.Encode(home + "demo")}</a> で開いてください。</p>
                <p class="en" lang="en">Open the demo app at its registered address.</p>
                """, StatusCodes.Status400BadRequest);
        });
        demo.MapGet("/", Home);
        demo.MapGet("/login", Login);
        demo.MapGet("/callback", Callback);
        demo.MapGet("/logout", Logout);
        return app;
    }

    /// <summary>The addresses the demo app is registered at: its client's redirect URIs to /demo/callback, less that path.</summary>
    private static List<Uri> HomesOf(RelyingAppOptions apps, string clientId)
    {
        var homes = (apps.Apps.SingleOrDefault(a => a.ClientId == clientId)?.RedirectUris ?? [])
            .Where(uri => uri.AbsolutePath.EndsWith("/demo/callback", StringComparison.Ordinal))
            .Select(callback => new Uri(callback, "../")).ToList();
        return homes.Count == 0
            ? throw new Kosmo.Idp.Operations.Startup.SettingRefusedException($"DemoApp:ClientId '{clientId}' must be a configured relying app with a redirect URI ending in /demo/callback.")
            : homes;
    }

    private static IResult Home(HttpContext context, IDataProtectionProvider protection)
    {
        var tokens = Read<DemoTokens>(context, protection, TokensCookie);
        if (tokens is null)
        {
            return Page("デモアプリ (医療費情報)", """
                <p>このページは開発用のデモ アプリです。プロバイダーのコード フローでログインします。</p>
                <p class="en" lang="en">A Development-only relying app that signs in through the provider's code flow.</p>
                <p><a href="/demo/login">KOSMO Web でログイン / Sign in with KOSMO Web</a></p>
                """);
        }

        var claims = JsonDocument.Parse(Base64UrlTextEncoder.Decode(tokens.IdToken.Split('.')[1])).RootElement;
        var rows = string.Join("", claims.EnumerateObject().Select(p =>
            $"<tr><th scope=\"row\">{Html.Encode(p.Name)}</th><td>{Html.Encode(p.Value.ToString())}</td></tr>"));
        return Page("ログインしました / Signed in", $"""
            <p>ID トークンの内容 / The ID token says:</p>
            <table id="claims">{rows}</table>
            <p>アクセストークンの有効期限 / Access token expires in: {tokens.ExpiresIn} s</p>
            <p><a href="/demo/logout">ログアウト / Sign out</a></p>
            """);
    }

    private static IResult Login(HttpContext context, IDataProtectionProvider protection, IOptions<DemoAppOptions> options)
    {
        var flow = new DemoFlow(Random(), Random(), Random());
        Write(context, protection, FlowCookie, flow);
        var challenge = Base64UrlTextEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(flow.Verifier)));
        return Results.Redirect(QueryHelpers.AddQueryString("/" + ProtocolPaths.Authorize, new Dictionary<string, string?>
        {
            ["client_id"] = options.Value.ClientId,
            ["redirect_uri"] = BaseUrl(context) + "/demo/callback",
            ["response_type"] = "code",
            ["scope"] = "openid profile",
            ["state"] = flow.State,
            ["nonce"] = flow.Nonce,
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
        }));
    }

    // Forgets the app's own session, then asks the provider to end its session and come back.
    private static IResult Logout(HttpContext context, IDataProtectionProvider protection)
    {
        var tokens = Read<DemoTokens>(context, protection, TokensCookie);
        context.Response.Cookies.Delete(TokensCookie);
        return Results.Redirect(QueryHelpers.AddQueryString("/" + ProtocolPaths.EndSession, new Dictionary<string, string?>
        {
            ["id_token_hint"] = tokens?.IdToken,
            ["post_logout_redirect_uri"] = BaseUrl(context) + "/demo",
        }));
    }

    private static async Task<IResult> Callback(
        HttpContext context, IDataProtectionProvider protection, IOptions<DemoAppOptions> options,
        IOptions<RelyingAppOptions> apps, IHttpClientFactory clients, string? code, string? state, string? iss, string? error)
    {
        var flow = Read<DemoFlow>(context, protection, FlowCookie);
        context.Response.Cookies.Delete(FlowCookie);
        var issuer = BaseUrl(context) + "/";
        if (flow is null || state != flow.State || iss != issuer || code is null)
        {
            return Page("ログインできませんでした / Sign-in failed",
                $"<p>state, iss or code did not match ({Html.Encode(error ?? "no error")}).</p>", StatusCodes.Status400BadRequest);
        }

        var app = apps.Value.Apps.Single(a => a.ClientId == options.Value.ClientId);
        var client = clients.CreateClient(DemoAppOptions.Backchannel);
        var response = await client.PostAsync(issuer + ProtocolPaths.Token, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = BaseUrl(context) + "/demo/callback",
            ["code_verifier"] = flow.Verifier,
            ["client_id"] = app.ClientId,
            ["client_secret"] = app.ClientSecret ?? "",
        }));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (!response.IsSuccessStatusCode)
        {
            return Page("ログインできませんでした / Sign-in failed",
                $"<p>{Html.Encode(body.GetProperty("error").GetString() ?? "")}</p>", StatusCodes.Status400BadRequest);
        }

        Write(context, protection, TokensCookie, new DemoTokens(body.GetProperty("id_token").GetString()!, body.GetProperty("expires_in").GetInt32()));
        return Results.Redirect("/demo");
    }

    private static IResult Page(string title, string body, int status = StatusCodes.Status200OK) =>
        Results.Content($"""
            <!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{Html.Encode(title)}</title><link rel="stylesheet" href="/css/site.css"></head>
            <body><header class="site-header"><span class="site-name">デモアプリ / Demo app</span></header>
            <main class="page"><h1>{Html.Encode(title)}</h1>{body}</main></body></html>
            """, "text/html; charset=utf-8", statusCode: status);

    private static string BaseUrl(HttpContext context) => $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}";

    private static string Random() => Base64UrlTextEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    private static void Write<T>(HttpContext context, IDataProtectionProvider protection, string name, T value) =>
        context.Response.Cookies.Append(name, protection.CreateProtector(name).Protect(JsonSerializer.Serialize(value)),
            new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Lax, IsEssential = true, Secure = context.Request.IsHttps });

    private static T? Read<T>(HttpContext context, IDataProtectionProvider protection, string name)
    {
        try
        {
            return context.Request.Cookies.TryGetValue(name, out var value)
                ? JsonSerializer.Deserialize<T>(protection.CreateProtector(name).Unprotect(value))
                : default;
        }
        catch (CryptographicException)
        {
            return default;
        }
    }

    private sealed record DemoFlow(string State, string Nonce, string Verifier);

    private sealed record DemoTokens(string IdToken, int ExpiresIn);
}
