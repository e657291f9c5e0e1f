using System.Security.Claims;
using Kosmo.Idp.Protocol.Keys;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Kosmo.Idp.Protocol;

/// <summary>
/// Reads an end-session request's id_token_hint as evidence that one of the member's own apps sent
/// them: an id_token this provider signed, naming the member. An expired or revoked one still
/// counts (an app may revoke its tokens before it signs the member out, as the integration guide
/// suggests), since it only has to show who signed in where; OpenIddict's own validation refuses those.
/// </summary>
public sealed class IdTokenHint(ProtocolKeyRing keys, IOptions<ProtocolOptions> protocol)
{
    /// <summary>The member (sub) the hint names, or null when it is absent or not an id_token of ours.</summary>
    public async Task<string?> SubjectAsync(HttpContext context, string? hint) =>
        (await ReadAsync(context.Request, hint))?.FindFirst(OpenIddict.Abstractions.OpenIddictConstants.Claims.Subject)?.Value;

    /// <summary>The hint's claims as it carries them (sub, sid, aud, azp), or null when it is absent or not an id_token of ours.</summary>
    public async Task<ClaimsIdentity?> ReadAsync(HttpRequest request, string? hint)
    {
        if (string.IsNullOrEmpty(hint) || !keys.IsLoaded)
        {
            return null;
        }

        // Read once per request: an event handler and the endpoint both ask about the same hint.
        var items = request.HttpContext.Items;
        if (items.TryGetValue(typeof(IdTokenHint), out var read) && read is Read earlier && earlier.Hint == hint)
        {
            return earlier.Claims;
        }

        var claims = await ValidateAsync(request, hint);
        items[typeof(IdTokenHint)] = new Read(hint, claims);
        return claims;
    }

    private async Task<ClaimsIdentity?> ValidateAsync(HttpRequest request, string hint)
    {
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(hint, new TokenValidationParameters
        {
            IssuerSigningKeys = keys.Signing.Select(credentials => credentials.Key),
            ValidIssuer = protocol.Value.IssuerFor(request)!.AbsoluteUri,
            // Any of our apps; access tokens (at+jwt) and logout tokens are not id_tokens.
            ValidateAudience = false,
            ValidTypes = ["JWT"],
            ValidateLifetime = false,
        });
        return result.IsValid ? result.ClaimsIdentity : null;
    }

    private sealed record Read(string Hint, ClaimsIdentity? Claims);
}
