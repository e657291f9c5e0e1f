using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol.Rules;

/// <summary>
/// A refresh that asks for fewer scopes and leaves out openid (an app renewing only its API token)
/// gets no id_token: it asked for no OpenID Connect answer, userinfo refuses the access token for
/// the same reason, and OpenID Connect Core 12.2 lets a refresh answer without one. OpenIddict
/// decides on the grant's scopes, which keep openid.
/// </summary>
internal sealed class NarrowedRefreshesWithoutOpenIdGetNoIdToken : IOpenIddictServerHandler<OpenIddictServerEvents.ProcessSignInContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ProcessSignInContext>()
            .UseSingletonHandler<NarrowedRefreshesWithoutOpenIdGetNoIdToken>()
            .SetOrder(OpenIddictServerHandlers.EvaluateGeneratedTokens.Descriptor.Order + 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(OpenIddictServerEvents.ProcessSignInContext context)
    {
        if (context.EndpointType == OpenIddictServerEndpointType.Token && context.Request.IsRefreshTokenGrantType()
            && !string.IsNullOrEmpty(context.Request.Scope) && !context.Request.HasScope(Scopes.OpenId))
        {
            context.GenerateIdentityToken = false;
            context.IncludeIdentityToken = false;
        }

        return ValueTask.CompletedTask;
    }
}
