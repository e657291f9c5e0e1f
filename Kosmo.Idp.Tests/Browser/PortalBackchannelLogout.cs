using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Kosmo.Idp.Tests.Browser;

/// <summary>
/// The portal's side of back-channel logout, as docs/integrating-an-app.md describes it: the
/// provider posts a logout token; the portal checks it against the provider's JWKS (the keys its
/// OpenID Connect handler already reads) and remembers the ended provider session (sid); a cookie
/// whose id_token named that session is then refused, so the member is signed out here too.
/// </summary>
public static class PortalBackchannelLogout
{
    public const string Path = "/backchannel-logout";
    private const string LogoutEvent = "http://schemas.openid.net/event/backchannel-logout";

    /// <summary>Provider sessions that have ended. One process here; a real portal with several keeps them in its shared cache.</summary>
    public sealed class EndedSessions
    {
        private readonly ConcurrentDictionary<string, DateTimeOffset> _sessions = new(StringComparer.Ordinal);

        public void Add(string sid) => _sessions[sid] = DateTimeOffset.UtcNow;

        public bool Contains(string? sid) => sid is not null && _sessions.ContainsKey(sid);
    }

    public static async Task<IResult> ReceiveAsync(HttpContext context)
    {
        var oidc = context.RequestServices.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get(OpenIdConnectDefaults.AuthenticationScheme);
        var provider = await oidc.ConfigurationManager!.GetConfigurationAsync(context.RequestAborted);
        var form = await context.Request.ReadFormAsync();
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(form["logout_token"].ToString(), new TokenValidationParameters
        {
            IssuerSigningKeys = provider.SigningKeys,
            ValidIssuer = provider.Issuer,
            ValidAudience = oidc.ClientId,
            ValidTypes = ["logout+jwt"],
        });
        if (!result.IsValid || result.SecurityToken is not JsonWebToken token
            || !token.TryGetPayloadValue<JsonElement>("events", out var events) || !events.TryGetProperty(LogoutEvent, out _)
            || token.TryGetPayloadValue<string>("nonce", out _)
            || !token.TryGetPayloadValue<string>("sid", out var sid))
        {
            return Results.BadRequest();
        }

        context.RequestServices.GetRequiredService<EndedSessions>().Add(sid);
        return Results.Ok();
    }

    /// <summary>The cookie handler's OnValidatePrincipal: a session the provider ended is over here too.</summary>
    public static async Task RefuseEndedSessionAsync(CookieValidatePrincipalContext context)
    {
        if (context.HttpContext.RequestServices.GetRequiredService<EndedSessions>().Contains(context.Principal?.FindFirst("sid")?.Value))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
    }
}
