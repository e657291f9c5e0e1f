using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol.Rules;

/// <summary>
/// Service-to-service access tokens are self-contained JWTs checked against the JWKS; writing a
/// database row for each would make every client-credentials request a write. They cannot be
/// revoked one by one, so they are short-lived. Codes and refresh tokens are still stored (their
/// one-time use depends on it).
/// </summary>
internal sealed class ClientCredentialsAccessTokensAreNotStored : IOpenIddictServerHandler<OpenIddictServerEvents.GenerateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.GenerateTokenContext>()
            .UseSingletonHandler<ClientCredentialsAccessTokensAreNotStored>()
            .SetOrder(OpenIddictServerHandlers.Protection.CreateTokenEntry.Descriptor.Order - 500)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(OpenIddictServerEvents.GenerateTokenContext context)
    {
        if (context.TokenType == TokenTypeIdentifiers.AccessToken
            && context.Request?.IsClientCredentialsGrantType() == true
            && !context.Options.UseReferenceAccessTokens)
        {
            context.CreateTokenEntry = false;
        }

        return ValueTask.CompletedTask;
    }
}
