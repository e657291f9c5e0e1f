using Kosmo.Idp.Journey;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol.Rules;

/// <summary>
/// What discovery adds to OpenIddict's own metadata: the acr values a relying app may ask for (an
/// authenticator app), back-channel logout, the sid claim every id_token carries, "none" as the
/// way public apps authenticate at the token and revocation endpoints (PKCE, no secret), the
/// languages an app's ui_locales can choose for the pages, and the declared APIs' scopes (kept in
/// the store, not in OpenIddict's options, so its own list lacks them).
/// </summary>
internal sealed class DiscoveryMetadata(Microsoft.Extensions.Options.IOptionsMonitor<Apis.ApiOptions> apis) : IOpenIddictServerHandler<OpenIddictServerEvents.HandleConfigurationRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.HandleConfigurationRequestContext>()
            .UseSingletonHandler<DiscoveryMetadata>()
            .SetOrder(int.MaxValue - 100_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(OpenIddictServerEvents.HandleConfigurationRequestContext context)
    {
        context.Metadata[Metadata.AcrValuesSupported] = new OpenIddict.Abstractions.OpenIddictParameter(System.Text.Json.JsonSerializer.SerializeToElement(new[]
        {
            AuthenticationMethods.AcrMultiFactor, AuthenticationMethods.AcrApp,
        }));
        context.Claims.Add(MemberSession.SessionIdClaim);
        context.Scopes.UnionWith(apis.CurrentValue.Apis.SelectMany(api => api.Scopes));
        context.TokenEndpointAuthenticationMethods.Add(ClientAuthenticationMethods.None);
        context.RevocationEndpointAuthenticationMethods.Add(ClientAuthenticationMethods.None);
        // Back-channel logout (Protocol/Logout): logout tokens carry sid, and id_tokens the same sid.
        context.Metadata["backchannel_logout_supported"] = true;
        context.Metadata["backchannel_logout_session_supported"] = true;
        context.Metadata[Metadata.UiLocalesSupported] = new OpenIddict.Abstractions.OpenIddictParameter(System.Text.Json.JsonSerializer.SerializeToElement(
            Localization.LocalizationRegistration.Cultures.Select(culture => culture.Name).ToArray()));
        return ValueTask.CompletedTask;
    }
}
