using System.Runtime.ExceptionServices;
using Kosmo.Idp.Persistence;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.EntityFrameworkCore;

namespace Kosmo.Idp.Journey;

/// <summary>Refuses a session cookie whose session was signed out (<see cref="EndedSession"/>), wherever the cookie comes from.</summary>
public static class EndedSessions
{
    /// <summary>The cookie handler's check of every request's cookie.</summary>
    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        if (MemberSession.From(context.Principal)?.Id is { } id)
        {
            bool ended;
            try
            {
                ended = await IsEndedAsync(context.HttpContext.RequestServices.GetRequiredService<KosmoDbContext>(), id, context.HttpContext.RequestAborted);
            }
            catch (Exception e) when (DatabaseUnavailable.Caused(e))
            {
                // The handler keeps this request's outcome, so a failure thrown from here would be
                // thrown again to the error page that tells the member the database is down (an
                // empty 500 instead). The request goes on without the session, the cookie kept, and
                // fails with this error once authentication is done (UseSessionCheckFailures).
                context.RejectPrincipal();
                context.HttpContext.Features.Set(new UncheckedSession(ExceptionDispatchInfo.Capture(e)));
                return;
            }

            if (ended)
            {
                context.RejectPrincipal();
                await context.HttpContext.SignOutAsync(MemberSession.Scheme);
                return;
            }
        }

        // Renewed at every request, not only past half its time: idle means exactly IdleTimeout without a request.
        // Except the email page's own check for the opened link, which a PC left on that page sends every few
        // seconds: it is no member at the keyboard, and must not keep the session alive past its idle time.
        context.ShouldRenew = !IsBackgroundCheck(context.Request);
    }

    /// <summary>The cookie handler's own sliding renewal, past half the lifetime: not for a background check either.</summary>
    public static Task CheckSlidingExpirationAsync(CookieSlidingExpirationContext context)
    {
        context.ShouldRenew &= !IsBackgroundCheck(context.Request);
        return Task.CompletedTask;
    }

    private static bool IsBackgroundCheck(HttpRequest request) =>
        request.Path.Equals(Email.EmailModel.PagePath, StringComparison.OrdinalIgnoreCase)
        && string.Equals(request.Query["handler"], Email.EmailModel.StatusHandler, StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether the session was signed out: one lookup by primary key.</summary>
    public static Task<bool> IsEndedAsync(KosmoDbContext db, string sessionId, CancellationToken cancellationToken) =>
        db.EndedSessions.AnyAsync(e => e.SessionId == sessionId, cancellationToken);

    /// <summary>Right after authentication: a session that could not be checked fails its request, except the error page's.</summary>
    public static WebApplication UseSessionCheckFailures(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            ThrowIfUnchecked(context);
            return next(context);
        });
        return app;
    }

    /// <summary>Also where a session is read later in the request: never "signed out" for a session that could not be checked.</summary>
    public static void ThrowIfUnchecked(HttpContext context)
    {
        if (context.Features.Get<UncheckedSession>() is { } failed && context.Features.Get<IExceptionHandlerFeature>() is null)
        {
            failed.Failure.Throw();
        }
    }

    private sealed record UncheckedSession(ExceptionDispatchInfo Failure);
}
