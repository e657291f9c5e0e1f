using System.Security.Claims;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using Microsoft.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol.Rules;

/// <summary>
/// An id_token_hint whose grant was revoked (as the integration guide tells apps to do before
/// signing out) is set aside by OpenIddict, and with it the check that the hint was issued to the
/// app sending it. Our endpoints still read such a hint (end-session: the member's own app sending
/// them; authorization: the member the app expects), so the same check runs on it here: otherwise
/// another app's hint, or any registered app's return address with it, would be accepted, while a
/// live hint of another app is refused. OpenIddict's own check does the work, given the hint's
/// audience and presenter in the claims it reads.
/// </summary>
internal sealed class SetAsideHintsStillBindTheirApps(IdTokenHint hints, IOpenIddictApplicationManager applications)
    : IOpenIddictServerHandler<OpenIddictServerEvents.ValidateEndSessionRequestContext>,
      IOpenIddictServerHandler<OpenIddictServerEvents.ValidateAuthorizationRequestContext>
{
    public static IEnumerable<OpenIddictServerHandlerDescriptor> Descriptors =>
    [
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ValidateEndSessionRequestContext>()
            .UseScopedHandler<SetAsideHintsStillBindTheirApps>()
            .SetOrder(OpenIddictServerHandlers.Session.ValidateAuthorizedParty.Descriptor.Order + 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build(),
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ValidateAuthorizationRequestContext>()
            .UseScopedHandler<SetAsideHintsStillBindTheirApps>()
            .SetOrder(OpenIddictServerHandlers.Authentication.ValidateAuthorizedParty.Descriptor.Order + 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build(),
    ];

    public ValueTask HandleAsync(OpenIddictServerEvents.ValidateEndSessionRequestContext context) =>
        CheckAsync(context, context.IdentityTokenHintPrincipal, principal => context.IdentityTokenHintPrincipal = principal,
            () => new OpenIddictServerHandlers.Session.ValidateAuthorizedParty(applications).HandleAsync(context));

    public ValueTask HandleAsync(OpenIddictServerEvents.ValidateAuthorizationRequestContext context) =>
        CheckAsync(context, context.IdentityTokenHintPrincipal, principal => context.IdentityTokenHintPrincipal = principal,
            () => new OpenIddictServerHandlers.Authentication.ValidateAuthorizedParty().HandleAsync(context));

    private async ValueTask CheckAsync(
        OpenIddictServerEvents.BaseValidatingContext context, ClaimsPrincipal? validated, Action<ClaimsPrincipal?> setHint, Func<ValueTask> check)
    {
        if (validated is not null || context.Transaction.GetHttpRequest() is not { } request
            || await hints.ReadAsync(request, context.Transaction.Request?.IdTokenHint) is not { } hint)
        {
            return;
        }

        var apps = new ClaimsIdentity(hint.Claims
            .Where(claim => claim.Type is Claims.Audience or Claims.AuthorizedParty)
            .Select(claim => new Claim(claim.Type == Claims.Audience ? Claims.Private.Audience : Claims.Private.Presenter, claim.Value)));
        setHint(new ClaimsPrincipal(apps));
        try
        {
            await check();
        }
        finally
        {
            setHint(null);
        }
    }
}
