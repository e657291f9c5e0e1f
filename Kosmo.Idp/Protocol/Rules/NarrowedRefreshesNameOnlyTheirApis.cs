using Kosmo.Idp.Protocol.Apis;
using OpenIddict.Abstractions;
using OpenIddict.Server;

namespace Kosmo.Idp.Protocol.Rules;

/// <summary>
/// A refresh that asks for fewer scopes (RFC 6749 section 6) gets an access token with only those
/// (OpenIddict narrows the scope), but OpenIddict takes the audiences from the whole grant, which
/// the new refresh token rightly keeps. An API whose scope was left out would still find itself in
/// <c>aud</c>: its audience check is what refuses the token, so the audiences follow the scopes.
/// </summary>
internal sealed class NarrowedRefreshesNameOnlyTheirApis(ApiAudiences audiences)
    : IOpenIddictServerHandler<OpenIddictServerEvents.ProcessSignInContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ProcessSignInContext>()
            .UseScopedHandler<NarrowedRefreshesNameOnlyTheirApis>()
            .SetOrder(OpenIddictServerHandlers.PrepareAccessTokenPrincipal.Descriptor.Order + 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(OpenIddictServerEvents.ProcessSignInContext context)
    {
        if (context.EndpointType != OpenIddictServerEndpointType.Token || !context.Request.IsRefreshTokenGrantType()
            || string.IsNullOrEmpty(context.Request.Scope) || context.AccessTokenPrincipal is not { } principal)
        {
            return;
        }

        principal.SetAudiences(await audiences.OfAsync(principal.GetScopes(), context.CancellationToken));
    }
}
