using Kosmo.Idp.Persistence;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using OpenIddict.EntityFrameworkCore.Models;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol.Rules;

/// <summary>
/// Makes a refresh token's redemption atomic. OpenIddict checks that the token is still valid, and
/// only later marks it redeemed, ignoring a failure to do so for refresh tokens; so copies of one
/// token sent at the same moment all pass its check and each gets new tokens. Here one conditional
/// UPDATE decides: the request that changes the row from valid to redeemed goes on; any other is
/// a token used twice, which revokes the family (RFC 9700 4.14.2), including what the winner is
/// being issued, since those tokens belong to the same authorization.
/// </summary>
internal sealed class RefreshTokensAreRedeemedOnce(
    KosmoDbContext db, IOpenIddictAuthorizationManager authorizations, IOpenIddictTokenManager tokens,
    TimeProvider time, ILogger<RefreshTokensAreRedeemedOnce> logger)
    : IOpenIddictServerHandler<OpenIddictServerEvents.ProcessSignInContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ProcessSignInContext>()
            .UseScopedHandler<RefreshTokensAreRedeemedOnce>()
            .SetOrder(OpenIddictServerHandlers.RedeemTokenEntry.Descriptor.Order - 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(OpenIddictServerEvents.ProcessSignInContext context)
    {
        if (context.EndpointType != OpenIddictServerEndpointType.Token || !context.Request.IsRefreshTokenGrantType())
        {
            return;
        }

        var presented = context.Transaction.GetProperty<OpenIddictServerEvents.ProcessAuthenticationContext>(
            typeof(OpenIddictServerEvents.ProcessAuthenticationContext).FullName!)?.RefreshTokenPrincipal;
        if (presented?.GetTokenId() is not { Length: > 0 } tokenId)
        {
            return;
        }

        var claimed = await db.Set<OpenIddictEntityFrameworkCoreToken>()
            .Where(t => t.Id == tokenId && t.Status == Statuses.Valid)
            .ExecuteUpdateAsync(set => set
                .SetProperty(t => t.Status, Statuses.Redeemed)
                .SetProperty(t => t.RedemptionDate, time.GetUtcNow().UtcDateTime), context.CancellationToken);
        if (claimed == 1)
        {
            return;
        }

        if (presented.GetAuthorizationId() is { Length: > 0 } authorizationId)
        {
            await AuthorizationFamily.EndAsync(authorizations, tokens, authorizationId, context.CancellationToken);
        }

        logger.LogWarning("A refresh token of {ClientId} was presented twice at once; its authorization and tokens are revoked", context.ClientId);
        context.Reject(Errors.InvalidGrant, "The refresh token has already been redeemed.");
    }
}
