using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol.Rules;

/// <summary>
/// An app that revokes its refresh token is done with that sign-in (it signs the member out). As
/// RFC 7009 2.1 advises, the access tokens of the same grant then end too, as the authorization
/// they belong to: introspection and userinfo stop answering for them (APIs that check tokens
/// offline keep accepting them until they expire, as after any sign-out). OpenIddict alone revokes
/// only the token it was given.
/// </summary>
internal sealed class RevokedRefreshTokensEndTheirGrant(IOpenIddictTokenManager tokens, IOpenIddictAuthorizationManager authorizations)
    : IOpenIddictServerHandler<OpenIddictServerEvents.HandleRevocationRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.HandleRevocationRequestContext>()
            .UseScopedHandler<RevokedRefreshTokensEndTheirGrant>()
            .SetOrder(OpenIddictServerHandlers.Revocation.RevokeToken.Descriptor.Order + 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(OpenIddictServerEvents.HandleRevocationRequestContext context)
    {
        if (context.IsRejected || context.GenericTokenPrincipal is not { } principal || !principal.HasTokenType(TokenTypeIdentifiers.RefreshToken)
            || principal.GetAuthorizationId() is not { Length: > 0 } authorizationId)
        {
            return;
        }

        await AuthorizationFamily.EndAsync(authorizations, tokens, authorizationId, context.CancellationToken);
    }
}
