using Kosmo.Idp.Persistence;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.EntityFrameworkCore;

namespace Kosmo.Idp.Journey;

/// <summary>Refuses a session cookie whose session was signed out (<see cref="EndedSession"/>), wherever the cookie comes from.</summary>
public static class EndedSessions
{
    /// <summary>The cookie handler's check of every request's cookie: one lookup by primary key.</summary>
    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        if (MemberSession.From(context.Principal)?.Id is { } id
            && await context.HttpContext.RequestServices.GetRequiredService<KosmoDbContext>().EndedSessions
                .AnyAsync(e => e.SessionId == id, context.HttpContext.RequestAborted))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(MemberSession.Scheme);
            return;
        }

        // Renewed at every request, not only past half its time: idle means exactly IdleTimeout without a request.
        context.ShouldRenew = true;
    }
}
