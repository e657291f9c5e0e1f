using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Members;

/// <summary>
/// Ends every session of a member at once: cookies made under the old session version stop
/// counting (the journey treats them as signed out) and every live token and authorization
/// issued to relying apps is revoked, so refresh tokens stop working too.
/// </summary>
public sealed class SessionTermination(IOpenIddictTokenManager tokens, IOpenIddictAuthorizationManager authorizations)
{
    /// <summary>Raises the member's session version (saved by the caller) and revokes what relying apps hold.</summary>
    public async Task<(int Tokens, int Authorizations)> EndAllAsync(Member member, CancellationToken cancellationToken)
    {
        member.SessionVersion++;
        var subject = member.Id.ToString();

        // Collected before revoking: a revocation saves while the query would still be reading.
        var live = new List<object>();
        await foreach (var token in tokens.FindBySubjectAsync(subject, cancellationToken))
        {
            if (await tokens.HasStatusAsync(token, Statuses.Valid, cancellationToken) || await tokens.HasStatusAsync(token, Statuses.Inactive, cancellationToken))
            {
                live.Add(token);
            }
        }

        var granted = new List<object>();
        await foreach (var authorization in authorizations.FindBySubjectAsync(subject, cancellationToken))
        {
            if (await authorizations.HasStatusAsync(authorization, Statuses.Valid, cancellationToken))
            {
                granted.Add(authorization);
            }
        }

        var revokedTokens = 0;
        foreach (var token in live)
        {
            revokedTokens += await tokens.TryRevokeAsync(token, cancellationToken) ? 1 : 0;
        }

        var revokedAuthorizations = 0;
        foreach (var authorization in granted)
        {
            revokedAuthorizations += await authorizations.TryRevokeAsync(authorization, cancellationToken) ? 1 : 0;
        }

        return (revokedTokens, revokedAuthorizations);
    }
}
