using OpenIddict.Abstractions;

namespace Kosmo.Idp.Members;

/// <summary>
/// Ends every session of a member at once: cookies made under the old session version stop
/// counting (the journey treats them as signed out) and every token and authorization issued to
/// relying apps is revoked, so refresh tokens stop working too.
/// </summary>
public sealed class SessionTermination(IOpenIddictTokenManager tokens, IOpenIddictAuthorizationManager authorizations)
{
    /// <summary>Raises the member's session version (saved by the caller) and revokes what relying apps hold.</summary>
    public async Task EndAllAsync(Member member, CancellationToken cancellationToken)
    {
        member.SessionVersion++;
        var subject = member.Id.ToString();
        await foreach (var authorization in authorizations.FindBySubjectAsync(subject, cancellationToken))
        {
            await authorizations.TryRevokeAsync(authorization, cancellationToken);
        }

        await foreach (var token in tokens.FindBySubjectAsync(subject, cancellationToken))
        {
            await tokens.TryRevokeAsync(token, cancellationToken);
        }
    }
}
