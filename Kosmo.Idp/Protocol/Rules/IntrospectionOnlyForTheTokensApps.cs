using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol.Rules;

/// <summary>
/// An app may introspect an access token only if the token was issued to it or names it as an
/// audience. OpenIddict checks the audience only when the token has one, and a member's access
/// token without an API scope has none, so any confidential app could otherwise read another
/// app's tokens: which member uses which service, and whether the token is live. Refused the way
/// OpenIddict refuses the other cases, as an inactive token.
/// </summary>
internal sealed class IntrospectionOnlyForTheTokensApps : IOpenIddictServerHandler<OpenIddictServerEvents.ValidateIntrospectionRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ValidateIntrospectionRequestContext>()
            .UseSingletonHandler<IntrospectionOnlyForTheTokensApps>()
            .SetOrder(OpenIddictServerHandlers.Introspection.ValidateAuthorizedParty.Descriptor.Order + 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(OpenIddictServerEvents.ValidateIntrospectionRequestContext context)
    {
        var token = context.GenericTokenPrincipal;
        if (token is not null && context.ClientId is { } caller
            && !token.HasPresenter(caller) && !token.HasAudience(caller))
        {
            context.Reject(Errors.InvalidToken, "The token was not issued to this client.");
        }

        return ValueTask.CompletedTask;
    }
}
