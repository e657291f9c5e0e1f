using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol.Rules;

/// <summary>
/// A code or refresh token presented again after it was redeemed means it leaked. OpenIddict then
/// revokes the tokens of its authorization that exist at that moment, but not the authorization:
/// a token the legitimate request is issuing at the same moment would survive. Revoking the
/// authorization as well ends the whole family, since OpenIddict refuses every token of a revoked
/// authorization. Only at the token endpoint: an app asking introspection about its own redeemed
/// token is not a replay.
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
        if (context.EndpointType != OpenIddictServerEndpointType.Token
            || context.TokenId is not { Length: > 0 } tokenId || context.AuthorizationId is not { Length: > 0 } authorizationId)
        {
            return;
        }

        if (await tokens.FindByIdAsync(tokenId, context.CancellationToken) is { } token
            && await tokens.HasStatusAsync(token, Statuses.Redeemed, context.CancellationToken)
            && await authorizations.FindByIdAsync(authorizationId, context.CancellationToken) is { } authorization)
        {
            await authorizations.TryRevokeAsync(authorization, context.CancellationToken);
        }
    }
}
