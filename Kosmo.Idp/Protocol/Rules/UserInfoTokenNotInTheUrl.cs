using OpenIddict.Server;
using Microsoft.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol.Rules;

/// <summary>
/// An access token in the userinfo URL (?access_token=) ends up in proxies' and servers' access
/// logs and in browser history, which RFC 6750 2.3 and RFC 9700 advise against: it is refused, and
/// the token is taken from the Authorization header (or a form body) only. A request carrying one
/// in both is refused too (RFC 6750 2: one method per request), rather than answered for whichever
/// OpenIddict reads first.
/// </summary>
internal sealed class UserInfoTokenNotInTheUrl : IOpenIddictServerHandler<OpenIddictServerEvents.ValidateUserInfoRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ValidateUserInfoRequestContext>()
            .UseSingletonHandler<UserInfoTokenNotInTheUrl>()
            // Before every handler of OpenIddict's (see StrictRequestParameters), and before that rule
            // too: a token in the URL is named as such even when it is also repeated.
            .SetOrder(int.MinValue + 40_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(OpenIddictServerEvents.ValidateUserInfoRequestContext context)
    {
        if (context.Transaction.GetHttpRequest() is not { } request)
        {
            return;
        }

        if (request.Query.ContainsKey(Parameters.AccessToken))
        {
            context.Reject(Errors.InvalidRequest, "Send the access token in the Authorization header, not in the URL.");
        }
        else if (request.Headers.Authorization.Count > 0 && request.HasFormContentType
            && (await request.ReadFormAsync(context.CancellationToken)).ContainsKey(Parameters.AccessToken))
        {
            context.Reject(Errors.InvalidRequest, "Send the access token once: in the Authorization header or in the body, not both.");
        }
    }
}
