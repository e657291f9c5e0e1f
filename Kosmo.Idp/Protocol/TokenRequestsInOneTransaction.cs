using Kosmo.Idp.Persistence;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol;

/// <summary>
/// A token request that redeems a code or a refresh token is one database transaction. OpenIddict
/// marks the old token redeemed before it creates the new ones: a failure in between (a failover,
/// a statement timeout) would otherwise leave the app's token spent, and the retry that the 503
/// invites would be taken for a replay that ends the member's sign-in in that app. Committed just
/// before the answer goes out, unless it is a server error; a refusal (a replay's revocation
/// among them) is kept.
/// </summary>
public static class TokenRequestsInOneTransaction
{
    public static IApplicationBuilder UseTokenRequestsInOneTransaction(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (!await RedeemsATokenAsync(context.Request))
            {
                await next(context);
                return;
            }

            var db = context.RequestServices.GetRequiredService<KosmoDbContext>();
            await using var transaction = await db.Database.BeginTransactionAsync(context.RequestAborted);
            var finished = false;
            async Task FinishAsync()
            {
                if (!finished && context.Response.StatusCode < StatusCodes.Status500InternalServerError)
                {
                    finished = true;
                    // Not cancelled: once committed the tokens exist, and the answer that carries them goes out.
                    await transaction.CommitAsync(CancellationToken.None);
                }
            }

            // Before the first byte of the answer: an app never holds tokens the database does not.
            context.Response.OnStarting(FinishAsync);
            await next(context);
            await FinishAsync();
        });

    private static async Task<bool> RedeemsATokenAsync(HttpRequest request)
    {
        if (!HttpMethods.IsPost(request.Method) || !request.Path.Equals("/" + ProtocolPaths.Token, StringComparison.OrdinalIgnoreCase)
            || !request.HasFormContentType)
        {
            return false;
        }

        var grantType = (await request.ReadFormAsync(request.HttpContext.RequestAborted))[Parameters.GrantType].ToString();
        return grantType is GrantTypes.AuthorizationCode or GrantTypes.RefreshToken;
    }
}
