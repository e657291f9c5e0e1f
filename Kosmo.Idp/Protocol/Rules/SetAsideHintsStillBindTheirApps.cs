using System.Security.Claims;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using Microsoft.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol.Rules;

/// <summary>
/// An end-session request's id_token_hint whose grant was revoked (as the integration guide tells
/// apps to do before signing out) is set aside by OpenIddict, and with it the check that the
/// client_id and post_logout_redirect_uri belong to the app the hint was issued to. The end-session
/// endpoint still takes such a hint as the member's own app sending them, so the same check runs on
/// it here: otherwise any registered app's return address would be accepted with it. OpenIddict's
/// own check does the work, given the hint's audience and presenter in the claims it reads.
/// </summary>
internal sealed class SetAsideHintsStillBindTheirApps(IdTokenHint hints, IOpenIddictApplicationManager applications)
    : IOpenIddictServerHandler<OpenIddictServerEvents.ValidateEndSessionRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ValidateEndSessionRequestContext>()
            .UseScopedHandler<SetAsideHintsStillBindTheirApps>()
            .SetOrder(OpenIddictServerHandlers.Session.ValidateAuthorizedParty.Descriptor.Order + 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(OpenIddictServerEvents.ValidateEndSessionRequestContext context)
    {
        if (context.IdentityTokenHintPrincipal is not null || context.Transaction.GetHttpRequest() is not { } request
            || await hints.ReadAsync(request, context.Request.IdTokenHint) is not { } hint)
        {
            return;
        }

        var apps = new ClaimsIdentity(hint.Claims
            .Where(claim => claim.Type is Claims.Audience or Claims.AuthorizedParty)
            .Select(claim => new Claim(claim.Type == Claims.Audience ? Claims.Private.Audience : Claims.Private.Presenter, claim.Value)));
        context.IdentityTokenHintPrincipal = new ClaimsPrincipal(apps);
        try
        {
            await new OpenIddictServerHandlers.Session.ValidateAuthorizedParty(applications).HandleAsync(context);
        }
        finally
        {
            context.IdentityTokenHintPrincipal = null;
        }
    }
}
