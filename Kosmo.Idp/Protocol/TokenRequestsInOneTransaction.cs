using System.Security.Cryptography;
using System.Text;
using Kosmo.Idp.Persistence;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol;

/// <summary>
/// A token request that redeems a code or a refresh token is one database transaction. OpenIddict
/// marks the old token redeemed before it creates the new ones: a failure in between (a failover,
/// a statement timeout) would otherwise leave the app's token spent, and the retry that the 503
/// invites would be taken for a replay that ends the member's sign-in in that app. The answer is
/// held back until the commit, so a commit that fails is answered as any other failure (503); a
/// refusal (a replay's revocation among them) is kept.
/// </summary>
public static class TokenRequestsInOneTransaction
{
    public static IApplicationBuilder UseTokenRequestsInOneTransaction(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (await RedeemedTokenAsync(context.Request) is not { } presented)
            {
                await next(context);
                return;
            }

            var db = context.RequestServices.GetRequiredService<KosmoDbContext>();
            var answer = context.Response.Body;
            await using var held = new MemoryStream();
            context.Response.Body = held;
            try
            {
                await OneAtATime.RunAsync(db, PresentedKey(presented), async () =>
                {
                    // Copies of one token sent at once wait here for each other: the first is redeemed,
                    // the others then find it spent (a replay), each alone with the family it ends.
                    await next(context);
                    if (context.Response.StatusCode >= StatusCodes.Status500InternalServerError)
                    {
                        throw new TokenRequestFailedException();
                    }

                    return true;
                }, context.RequestAborted);
            }
            catch (TokenRequestFailedException)
            {
                // Rolled back: the server error already written goes out as it is.
            }
            finally
            {
                context.Response.Body = answer;
            }

            held.Position = 0;
            await held.CopyToAsync(answer, context.RequestAborted);
        });

    private static async Task<string?> RedeemedTokenAsync(HttpRequest request)
    {
        if (!HttpMethods.IsPost(request.Method) || !request.Path.Equals("/" + ProtocolPaths.Token, StringComparison.OrdinalIgnoreCase)
            || !request.HasFormContentType)
        {
            return null;
        }

        var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
        var presented = form[Parameters.GrantType].ToString() switch
        {
            GrantTypes.AuthorizationCode => form[Parameters.Code].ToString(),
            GrantTypes.RefreshToken => form[Parameters.RefreshToken].ToString(),
            _ => "",
        };
        // Without one, OpenIddict refuses the request before anything is written.
        return presented.Length > 0 ? presented : null;
    }

    /// <summary>A digest, not the token: the lock key is sent to the database as a parameter.</summary>
    private static string PresentedKey(string token) =>
        "token:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)))[..32];

    /// <summary>Rolls the transaction back when the request was answered with a server error without an exception.</summary>
    private sealed class TokenRequestFailedException : Exception;
}
