using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol.Rules;

/// <summary>
/// A code or refresh token presented again after it was redeemed means it leaked. OpenIddict then
/// revokes the tokens of its authorization that exist at that moment, but not the authorization:
/// a token the legitimate request is issuing at the same moment would survive. Revoking the
/// authorization as well ends the whole family, since OpenIddict refuses every token of a revoked
/// authorization. Only when it is shown again under the client_id it was issued to, at the token
/// endpoint or at revocation (which asks for its grant to end): shown to introspection, or under
/// another app's client_id (a public one needs no secret), it is refused and ends nothing, so a used
/// code seen in a browser history cannot end the member's sign-in at every app. Under a public
/// app's own client_id no secret proves the sender either; that is the theft RFC 6749 (10.4, 4.1.2)
/// has the family end for.
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
            context.Reject(context.EndpointType == OpenIddictServerEndpointType.Token ? Errors.InvalidGrant : Errors.InvalidToken,
                "The token has already been redeemed.");
            return;
        }

        if (context.AuthorizationId is { Length: > 0 } authorizationId
            && await authorizations.FindByIdAsync(authorizationId, context.CancellationToken) is { } authorization)
        {
            await authorizations.TryRevokeAsync(authorization, context.CancellationToken);
        }
    }

    private static bool EndsTheFamily(OpenIddictServerEvents.ValidateTokenContext context) =>
        context.EndpointType is OpenIddictServerEndpointType.Token or OpenIddictServerEndpointType.Revocation
        && context.Request?.ClientId is { Length: > 0 } caller
        && context.Principal?.HasPresenter(caller) == true;
}
