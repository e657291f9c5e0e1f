using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol.Rules;

/// <summary>
/// A code or refresh token presented again after it was redeemed means it leaked. OpenIddict then
/// revokes the tokens of its authorization that exist at that moment, but not the authorization:
/// a token the legitimate request is issuing at the same moment would survive. Revoking the
/// authorization as well ends the whole family, since OpenIddict refuses every token of a revoked
/// authorization. Only when the app the token was issued to shows it again, at the token endpoint
/// or at revocation (which asks for its grant to end): a redeemed token shown to introspection, or
/// by another app (a public client_id needs no secret), is refused and ends nothing, or anyone who
/// saw a used code in a browser history could end a member's sign-in at any app.
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
