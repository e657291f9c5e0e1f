using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.Caching.Memory;
using OpenIddict.Abstractions;

namespace Kosmo.Idp.Protocol.Clients;

/// <summary>
/// Lets the public (browser) apps' JavaScript read discovery and the JWKS, redeem codes and
/// refresh tokens, call userinfo and revoke — from the origins of their own redirect URIs and no
/// others. Confidential apps talk to us from their servers and need no CORS; the authorization and
/// end-session endpoints are navigations, not fetches.
/// </summary>
/// <remarks>
/// The origins are read from the store (so apps added with the <c>clients</c> command count too)
/// and kept for a minute: every replica picks up a change within that minute without a restart.
/// No credentials are allowed: these endpoints never read the member's cookie. This provider
/// answers every CORS request of the service: an <c>[EnableCors("name")]</c> policy added later
/// would not be consulted.
/// </remarks>
public sealed class BrowserAppCors(IMemoryCache cache) : ICorsPolicyProvider
{
    private static readonly object CacheKey = new();
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);

    public static bool IsBrowserEndpoint(PathString path) =>
        path.StartsWithSegments("/.well-known") || path.StartsWithSegments("/" + ProtocolPaths.Token)
        || path.StartsWithSegments("/" + ProtocolPaths.UserInfo) || path.StartsWithSegments("/" + ProtocolPaths.Revoke);

    public async Task<CorsPolicy?> GetPolicyAsync(HttpContext context, string? policyName)
    {
        if (!IsBrowserEndpoint(context.Request.Path))
        {
            return null;
        }

        var origins = await cache.GetOrCreateAsync(CacheKey, async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = Lifetime;
            return await PublicAppOriginsAsync(context.RequestServices.GetRequiredService<IOpenIddictApplicationManager>(), context.RequestAborted);
        }) ?? [];

        return new CorsPolicyBuilder()
            .WithOrigins([.. origins])
            .WithMethods(HttpMethods.Get, HttpMethods.Post)
            .WithHeaders("Authorization", "Content-Type")
            // userinfo's 401 says why (invalid_token, insufficient_scope) in this header.
            .WithExposedHeaders("WWW-Authenticate")
            .SetPreflightMaxAge(Lifetime)
            .Build();
    }

    private static async Task<HashSet<string>> PublicAppOriginsAsync(IOpenIddictApplicationManager applications, CancellationToken cancellationToken)
    {
        var origins = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        await foreach (var application in applications.ListAsync(count: null, offset: null, cancellationToken))
        {
            if (await applications.GetClientTypeAsync(application, cancellationToken) != OpenIddictConstants.ClientTypes.Public)
            {
                continue;
            }

            foreach (var uri in await applications.GetRedirectUrisAsync(application, cancellationToken))
            {
                if (Uri.TryCreate(uri, UriKind.Absolute, out var redirect) && redirect.Scheme is "https" or "http")
                {
                    origins.Add(redirect.GetLeftPart(UriPartial.Authority));
                }
            }
        }

        return origins;
    }
}
