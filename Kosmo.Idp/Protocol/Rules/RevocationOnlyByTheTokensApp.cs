using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol.Rules;

/// <summary>
/// Only the app a token was issued to may revoke it (RFC 7009 2.1). OpenIddict also lets the APIs an
/// access token names as its audience revoke that access token, so an API's credentials could
/// invalidate the tokens every app that calls it was sent (refresh tokens OpenIddict already keeps
/// to their app). An API may still introspect those tokens (<see cref="IntrospectionOnlyForTheTokensApps"/>).
/// Refused as OpenIddict refuses another app's token: the answer is 200 all the same, and the token stays valid.
/// </summary>
internal sealed class RevocationOnlyByTheTokensApp : IOpenIddictServerHandler<OpenIddictServerEvents.ValidateRevocationRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ValidateRevocationRequestContext>()
            .UseSingletonHandler<RevocationOnlyByTheTokensApp>()
            .SetOrder(OpenIddictServerHandlers.Revocation.ValidateAuthorizedParty.Descriptor.Order + 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(OpenIddictServerEvents.ValidateRevocationRequestContext context)
    {
        if (context.GenericTokenPrincipal is { } token && context.ClientId is { } caller && !token.HasPresenter(caller))
        {
            context.Reject(Errors.InvalidToken, "The token was not issued to this client.");
        }

        return ValueTask.CompletedTask;
    }
}
