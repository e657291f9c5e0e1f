using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol.Rules;

/// <summary>
/// A refresh asking for a scope the member's grant does not include is refused as invalid_scope,
/// the error RFC 6749 (5.2: "exceeds the scope granted by the resource owner") names for it;
/// OpenIddict's own check, which runs next, says invalid_grant, which tells the app its refresh
/// token is dead when only its request was wrong.
/// </summary>
internal sealed class UngrantedScopesAreInvalidScope : IOpenIddictServerHandler<OpenIddictServerEvents.ValidateTokenRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ValidateTokenRequestContext>()
            .UseSingletonHandler<UngrantedScopesAreInvalidScope>()
            .SetOrder(OpenIddictServerHandlers.Exchange.ValidateGrantedScopes.Descriptor.Order - 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(OpenIddictServerEvents.ValidateTokenRequestContext context)
    {
        if (!context.Request.IsRefreshTokenGrantType() || string.IsNullOrEmpty(context.Request.Scope)
            || context.RefreshTokenPrincipal is not { } grant)
        {
            return ValueTask.CompletedTask;
        }

        var granted = grant.GetScopes();
        if (granted.Length > 0 && context.Request.GetScopes().FirstOrDefault(scope => !granted.Contains(scope)) is { } extra)
        {
            context.Reject(Errors.InvalidScope, $"The '{extra}' scope was not granted in this sign-in; the refresh token still works without it.");
        }

        return ValueTask.CompletedTask;
    }
}
