using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol.Rules;

/// <summary>
/// A client-credentials request without a client secret (with or without its client_id) has no client authentication, which RFC 6749
/// 5.2 names invalid_client (401). OpenIddict answers invalid_request, so a public app, or a server app
/// whose secret setting came through empty, would be told its request was malformed instead.
/// </summary>
internal sealed class ClientCredentialsNeedTheAppsSecret : IOpenIddictServerHandler<OpenIddictServerEvents.ValidateTokenRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ValidateTokenRequestContext>()
            .UseSingletonHandler<ClientCredentialsNeedTheAppsSecret>()
            // Before the client_id check too: a request with neither id nor secret has no client authentication either.
            .SetOrder(OpenIddictServerHandlers.Exchange.ValidateClientIdParameter.Descriptor.Order - 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(OpenIddictServerEvents.ValidateTokenRequestContext context)
    {
        if (context.Request.IsClientCredentialsGrantType() && string.IsNullOrEmpty(context.Request.ClientSecret)
            && string.IsNullOrEmpty(context.Request.ClientAssertion))
        {
            context.Reject(Errors.InvalidClient, "The client credentials grant needs the app's client_id and client_secret.");
        }

        return ValueTask.CompletedTask;
    }
}
