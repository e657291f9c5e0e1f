using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol.Rules;

/// <summary>
/// Introspection answers about access and refresh tokens. OpenIddict refuses an id_token or an
/// authorization code with unsupported_token_type, an error RFC 7662 does not have (it belongs to
/// revocation): an introspecting API expects {"active": false} for anything it cannot use, and
/// gets it, the way OpenIddict answers every invalid token.
/// </summary>
internal sealed class IntrospectionOfOtherTokensIsInactive : IOpenIddictServerHandler<OpenIddictServerEvents.ValidateIntrospectionRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ValidateIntrospectionRequestContext>()
            .UseSingletonHandler<IntrospectionOfOtherTokensIsInactive>()
            .SetOrder(OpenIddictServerHandlers.Introspection.ValidateTokenType.Descriptor.Order - 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(OpenIddictServerEvents.ValidateIntrospectionRequestContext context)
    {
        var token = context.GenericTokenPrincipal;
        if (token is not null && !token.HasTokenType(TokenTypeIdentifiers.AccessToken) && !token.HasTokenType(TokenTypeIdentifiers.RefreshToken))
        {
            context.Reject(Errors.InvalidToken, "Only access and refresh tokens are introspected.");
        }

        return ValueTask.CompletedTask;
    }
}
