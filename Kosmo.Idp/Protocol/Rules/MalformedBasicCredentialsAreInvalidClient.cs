using System.Text;
using Microsoft.AspNetCore;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol.Rules;

/// <summary>
/// An app that sends an HTTP Basic header it got wrong (not base64, no colon, no client id) has
/// failed to authenticate, which RFC 6749 5.2 answers with invalid_client, 401 and a Basic challenge.
/// OpenIddict answers invalid_request with 400, which an app's library reports as a malformed request
/// rather than as the wrong credentials an operator should look at.
/// </summary>
internal sealed class MalformedBasicCredentialsAreInvalidClient<TContext> : IOpenIddictServerHandler<TContext>
    where TContext : OpenIddictServerEvents.BaseValidatingContext
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<TContext>()
            .UseSingletonHandler<MalformedBasicCredentialsAreInvalidClient<TContext>>()
            .SetOrder(OpenIddictServerAspNetCoreHandlers.ExtractBasicAuthenticationCredentials<TContext>.Descriptor.Order - 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(TContext context)
    {
        // "Basic" with nothing after it arrives without its space (the server trims header values): a failed attempt too.
        var header = context.Transaction.GetHttpRequest()?.Headers.Authorization.ToString().Trim();
        if (header is not null && (header.Equals("Basic", StringComparison.OrdinalIgnoreCase) || header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
            && !IsClientIdAndSecret(header["Basic".Length..].Trim()))
        {
            context.Reject(Errors.InvalidClient, "The Authorization header must carry base64(client_id:client_secret) (RFC 6749 2.3.1).");
        }

        return ValueTask.CompletedTask;
    }

    private static bool IsClientIdAndSecret(string encoded)
    {
        var bytes = new byte[encoded.Length];
        if (!Convert.TryFromBase64String(encoded, bytes, out var length))
        {
            return false;
        }

        var separator = Encoding.UTF8.GetString(bytes, 0, length).IndexOf(':');
        return separator > 0;
    }
}

internal static class MalformedBasicCredentialsAreInvalidClient
{
    public static IEnumerable<OpenIddictServerHandlerDescriptor> Descriptors { get; } =
    [
        MalformedBasicCredentialsAreInvalidClient<OpenIddictServerEvents.ExtractTokenRequestContext>.Descriptor,
        MalformedBasicCredentialsAreInvalidClient<OpenIddictServerEvents.ExtractRevocationRequestContext>.Descriptor,
        MalformedBasicCredentialsAreInvalidClient<OpenIddictServerEvents.ExtractIntrospectionRequestContext>.Descriptor,
    ];
}
