using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol.Rules;

/// <summary>
/// A code or refresh token presented again after it was redeemed means it leaked. OpenIddict then
/// revokes the tokens of its authorization that exist at that moment, but not the authorization:
/// a token the legitimate request is issuing at the same moment would survive. Revoking the
/// authorization as well ends the whole family, since OpenIddict refuses every token of a revoked
/// authorization. Only at the token endpoint, and at revocation by the app the token was issued to
/// (which asks for its grant to end): a redeemed token shown to introspection, or to revocation by
/// another app, is answered as an invalid token and ends nothing, or any app holding an old
/// refresh token of another could end that app's sign-in.
/// </summary>
internal sealed class ReplayedTokensRevokeTheirFamily(IOpenIddictTokenManager tokens, IOpenIddictAuthorizationManager authorizations)
    : IOpenIddictServerHandler<OpenIddictServerEvents.ValidateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ValidateTokenContext>()
            .UseScopedHandler<ReplayedTokensRevokeTheirFamily>()
            .SetOrder(OpenIddictServerHandlers.Protection.ValidateTokenEntry.Descriptor.Order - 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(OpenIddictServerEvents.ValidateTokenContext context)
    {
        if (context.EndpointType is not (OpenIddictServerEndpointType.Token or OpenIddictServerEndpointType.Introspection or OpenIddictServerEndpointType.Revocation)
            || context.TokenId is not { Length: > 0 } tokenId
            || await tokens.FindByIdAsync(tokenId, context.CancellationToken) is not { } token
            || !await tokens.HasStatusAsync(token, Statuses.Redeemed, context.CancellationToken))
        {
            return;
        }

        if (!EndsTheFamily(context))
        {
            // Before OpenIddict's own check, which would revoke the family's tokens wherever it is shown.
            context.Reject(Errors.InvalidToken, "The token has already been redeemed.");
            return;
        }

        if (context.AuthorizationId is { Length: > 0 } authorizationId
            && await authorizations.FindByIdAsync(authorizationId, context.CancellationToken) is { } authorization)
        {
            await authorizations.TryRevokeAsync(authorization, context.CancellationToken);
        }
    }

    private static bool EndsTheFamily(OpenIddictServerEvents.ValidateTokenContext context) => context.EndpointType switch
    {
        OpenIddictServerEndpointType.Token => true,
        OpenIddictServerEndpointType.Revocation => context.Request?.ClientId is { Length: > 0 } caller && context.Principal?.HasPresenter(caller) == true,
        _ => false,
    };
}
