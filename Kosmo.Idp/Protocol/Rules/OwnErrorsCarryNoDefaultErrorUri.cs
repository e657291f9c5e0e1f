using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol.Rules;

/// <summary>
/// A refusal the provider words itself (login_required, interaction_required, a bad id_token_hint,
/// insufficient_scope) goes without OpenIddict's default error_uri, which describes the default
/// error of the endpoint ("the authorization was denied by the end user"): an app's handler puts
/// that link into its exception text, and its developer would read the wrong cause.
/// </summary>
internal sealed class OwnErrorsCarryNoDefaultErrorUri : IOpenIddictServerHandler<OpenIddictServerEvents.ProcessChallengeContext>
{
    private const string OpenIddictErrorPages = "https://documentation.openiddict.com/errors/";

    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ProcessChallengeContext>()
            .UseSingletonHandler<OwnErrorsCarryNoDefaultErrorUri>()
            .SetOrder(OpenIddictServerHandlers.AttachDefaultChallengeError.Descriptor.Order + 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(OpenIddictServerEvents.ProcessChallengeContext context)
    {
        var defaultError = context.EndpointType switch
        {
            OpenIddictServerEndpointType.Authorization => Errors.AccessDenied,
            OpenIddictServerEndpointType.Token => Errors.InvalidGrant,
            OpenIddictServerEndpointType.UserInfo => Errors.InsufficientAccess,
            _ => null,
        };
        if (context.Response.ErrorUri?.StartsWith(OpenIddictErrorPages, StringComparison.Ordinal) == true && context.Response.Error != defaultError)
        {
            context.Response.ErrorUri = null;
        }

        return ValueTask.CompletedTask;
    }
}
