using Kosmo.Idp.Journey;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol;

/// <summary>Discovery lists the acr values this provider asserts, so a relying app can learn that it may ask for an authenticator app.</summary>
internal sealed class AcrValuesInDiscovery : IOpenIddictServerHandler<OpenIddictServerEvents.HandleConfigurationRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.HandleConfigurationRequestContext>()
            .UseSingletonHandler<AcrValuesInDiscovery>()
            .SetOrder(int.MaxValue - 100_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(OpenIddictServerEvents.HandleConfigurationRequestContext context)
    {
        context.Metadata[Metadata.AcrValuesSupported] = new OpenIddict.Abstractions.OpenIddictParameter(System.Text.Json.JsonSerializer.SerializeToElement(new[]
        {
            AuthenticationMethods.AcrPassword, AuthenticationMethods.AcrMultiFactor, AuthenticationMethods.AcrApp,
        }));
        return ValueTask.CompletedTask;
    }
}
