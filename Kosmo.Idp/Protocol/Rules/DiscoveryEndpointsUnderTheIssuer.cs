using OpenIddict.Server;

namespace Kosmo.Idp.Protocol.Rules;

/// <summary>
/// With Protocol:Issuer set, discovery names every endpoint under it. OpenIddict fixes only the
/// issuer and builds the endpoints from the request's Host header, which a client picks: the port
/// passes host filtering, and a document naming another token endpoint could be kept by a cache in
/// front and handed to every app. Without an issuer (Development), the request's host stays.
/// </summary>
internal sealed class DiscoveryEndpointsUnderTheIssuer : IOpenIddictServerHandler<OpenIddictServerEvents.HandleConfigurationRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.HandleConfigurationRequestContext>()
            .UseSingletonHandler<DiscoveryEndpointsUnderTheIssuer>()
            // Just before OpenIddict fills the endpoints it finds still empty.
            .SetOrder(OpenIddictServerHandlers.Discovery.AttachEndpoints.Descriptor.Order - 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(OpenIddictServerEvents.HandleConfigurationRequestContext context)
    {
        if (context.Options.Issuer is not { IsAbsoluteUri: true } issuer)
        {
            return ValueTask.CompletedTask;
        }

        // The issuer is the host's root (ProtocolOptionsValidation); the endpoints are paths below it.
        Uri? Under(IReadOnlyList<Uri> endpoints) => endpoints.FirstOrDefault() is { } endpoint
            ? new Uri(issuer, endpoint.IsAbsoluteUri ? endpoint.PathAndQuery : endpoint.OriginalString)
            : null;

        var options = context.Options;
        context.AuthorizationEndpoint ??= Under(options.AuthorizationEndpointUris);
        context.TokenEndpoint ??= Under(options.TokenEndpointUris);
        context.UserInfoEndpoint ??= Under(options.UserInfoEndpointUris);
        context.EndSessionEndpoint ??= Under(options.EndSessionEndpointUris);
        context.IntrospectionEndpoint ??= Under(options.IntrospectionEndpointUris);
        context.RevocationEndpoint ??= Under(options.RevocationEndpointUris);
        context.JsonWebKeySetEndpoint ??= Under(options.JsonWebKeySetEndpointUris);
        context.DeviceAuthorizationEndpoint ??= Under(options.DeviceAuthorizationEndpointUris);
        context.PushedAuthorizationEndpoint ??= Under(options.PushedAuthorizationEndpointUris);
        return ValueTask.CompletedTask;
    }
}
