using OpenIddict.Abstractions;

namespace Kosmo.Idp.Protocol.Rules;

/// <summary>
/// Ends a grant: the authorization (OpenIddict refuses every token of a revoked authorization,
/// including one being issued at this moment) and the tokens it has now.
/// </summary>
internal static class AuthorizationFamily
{
    public static async Task EndAsync(
        IOpenIddictAuthorizationManager authorizations, IOpenIddictTokenManager tokens, string authorizationId, CancellationToken cancellationToken)
    {
        if (await authorizations.FindByIdAsync(authorizationId, cancellationToken) is { } authorization)
        {
            await authorizations.TryRevokeAsync(authorization, cancellationToken);
        }

        await tokens.RevokeByAuthorizationIdAsync(authorizationId, cancellationToken);
    }
}
