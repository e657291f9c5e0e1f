using OpenIddict.Server;
using Microsoft.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol.Rules;

/// <summary>
/// An access token in the userinfo URL (?access_token=) ends up in proxies' and servers' access
/// logs and in browser history, which RFC 6750 2.3 and RFC 9700 advise against: it is refused, and
/// the token is taken from the Authorization header (or a form body) only.
/// </summary>
internal sealed class UserInfoTokenNotInTheUrl : IOpenIddictServerHandler<OpenIddictServerEvents.ValidateUserInfoRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ValidateUserInfoRequestContext>()
            .UseSingletonHandler<UserInfoTokenNotInTheUrl>()
            .SetOrder(int.MinValue + 100_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(OpenIddictServerEvents.ValidateUserInfoRequestContext context)
    {
        if (context.Transaction.GetHttpRequest()?.Query.ContainsKey(Parameters.AccessToken) == true)
        {
            context.Reject(Errors.InvalidRequest, "Send the access token in the Authorization header, not in the URL.");
        }

        return ValueTask.CompletedTask;
    }
}
