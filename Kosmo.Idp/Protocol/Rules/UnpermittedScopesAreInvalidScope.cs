using System.Collections.Immutable;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol.Rules;

/// <summary>
/// A scope the app is not registered for is refused as invalid_scope, the error RFC 6749 (4.1.2.1,
/// 5.2) names for it; OpenIddict's own permission check, which runs next, says invalid_request.
/// Just before OpenIddict's permission checks, so everything checked before them (the client, its
/// redirect URI) is checked before this too.
/// </summary>
internal sealed class UnpermittedScopesAreInvalidScope(IOpenIddictApplicationManager applications) :
    IOpenIddictServerHandler<OpenIddictServerEvents.ValidateAuthorizationRequestContext>,
    IOpenIddictServerHandler<OpenIddictServerEvents.ValidateTokenRequestContext>
{
    public static IEnumerable<OpenIddictServerHandlerDescriptor> Descriptors =>
    [
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ValidateAuthorizationRequestContext>()
            .UseScopedHandler<UnpermittedScopesAreInvalidScope>()
            // Before the grant type check too, which refuses offline_access for an app without
            // the refresh grant as invalid_request.
            .SetOrder(OpenIddictServerHandlers.Authentication.ValidateGrantTypePermissions.Descriptor.Order - 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build(),
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ValidateTokenRequestContext>()
            .UseScopedHandler<UnpermittedScopesAreInvalidScope>()
            .SetOrder(OpenIddictServerHandlers.Exchange.ValidateScopePermissions.Descriptor.Order - 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build(),
    ];

    public ValueTask HandleAsync(OpenIddictServerEvents.ValidateAuthorizationRequestContext context) =>
        RefuseAsync(context, context.ClientId, context.Request.GetScopes());

    public ValueTask HandleAsync(OpenIddictServerEvents.ValidateTokenRequestContext context) =>
        RefuseAsync(context, context.ClientId, context.Request.GetScopes());

    private async ValueTask RefuseAsync(OpenIddictServerEvents.BaseValidatingContext context, string? clientId, ImmutableArray<string> scopes)
    {
        if (string.IsNullOrEmpty(clientId) || scopes.IsDefaultOrEmpty
            || await applications.FindByClientIdAsync(clientId, context.CancellationToken) is not { } application)
        {
            return;
        }

        // openid needs no permission (every app signs members in). offline_access does, unlike
        // OpenIddict's default (the refresh grant alone): it is registered like any other scope,
        // which also covers apps registered before the refresh grant followed it.
        foreach (var scope in scopes.Where(s => s != Scopes.OpenId))
        {
            if (!await applications.HasPermissionAsync(application, Permissions.Prefixes.Scope + scope, context.CancellationToken))
            {
                context.Reject(Errors.InvalidScope, $"This app is not registered for the '{scope}' scope.");
                return;
            }
        }
    }
}
