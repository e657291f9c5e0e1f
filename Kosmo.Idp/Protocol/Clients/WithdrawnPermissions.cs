using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol.Clients;

/// <summary>
/// When an app may no longer use a scope, client credentials or a secret, what it was granted before ends
/// with the change: a refresh token would otherwise keep handing out the withdrawn scope for as
/// long as the member stays signed in. Its members sign in to it again.
/// </summary>
public sealed class WithdrawnPermissions(
    IOpenIddictApplicationManager applications, IOpenIddictAuthorizationManager authorizations, IOpenIddictTokenManager tokens)
{
    /// <summary>The scopes (and client credentials, and a secret) the app had before and no longer has.</summary>
    public static IReadOnlyList<string> Between(RelyingApp before, RelyingApp after)
    {
        var withdrawn = before.Scopes.Except(after.Scopes, StringComparer.Ordinal).Where(scope => scope != Scopes.OpenId).ToList();
        if (before.AllowClientCredentials && !after.AllowClientCredentials)
        {
            withdrawn.Add("client credentials");
        }

        // Refresh tokens given to a server that kept them with its secret would redeem without one.
        if (before.Kind == RelyingAppKind.Confidential && after.Kind == RelyingAppKind.Public)
        {
            withdrawn.Add("a client secret (it is a public app now)");
        }

        return withdrawn;
    }

    /// <summary>Revokes the app's authorizations and tokens; returns how many stored tokens were marked (used and expired ones included).</summary>
    public async Task<long> RevokeGrantsAsync(object application, CancellationToken cancellationToken)
    {
        var id = await applications.GetIdAsync(application, cancellationToken)
            ?? throw new InvalidOperationException("A stored app without an id.");
        await authorizations.RevokeByApplicationIdAsync(id, cancellationToken);
        return await tokens.RevokeByApplicationIdAsync(id, cancellationToken);
    }
}
