using Kosmo.Idp.Journey;
using Kosmo.Idp.Members;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Persistence;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using System.Security.Claims;
using System.Text.Json;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol;

/// <summary>
/// Ends every session of a member at once: cookies made under the old session version stop
/// counting (the journey treats them as signed out) and every live token and authorization
/// issued to relying apps is revoked, so refresh tokens stop working too. A member who signs out
/// the other devices keeps this device's session, and with it the tokens of the apps signed in
/// through it.
/// </summary>
public sealed class SessionTermination(
    IOpenIddictTokenManager tokens, IOpenIddictAuthorizationManager authorizations, Logout.BackchannelLogout backchannel,
    KosmoDbContext db, AuditLog audit, TimeProvider time, ILogger<SessionTermination> logger)
{
    private const string SessionProperty = "kosmo_session";

    /// <summary>Marks a new authorization with the provider session (its ID) it is made in.</summary>
    public static void Tag(OpenIddictAuthorizationDescriptor authorization, string? sessionId)
    {
        if (sessionId is not null)
        {
            authorization.Properties[SessionProperty] = JsonSerializer.SerializeToElement(sessionId);
        }
    }

    /// <summary>
    /// Raises the member's session version (saved by the caller) and revokes what relying apps
    /// hold, except what was issued in the session <paramref name="sparedSessionId"/> (the member's
    /// own device, which the caller signs in again under the new version). Also returns how many
    /// mailed links of a pending address change it withdrew.
    /// </summary>
    public async Task<(int Tokens, int Authorizations, int WithdrawnLinks)> EndAllAsync(Member member, string? sparedSessionId, CancellationToken cancellationToken)
    {
        // Held to the caller's commit: a sign-in an app is being given at this moment either
        // finishes first, and is ended below, or waits and sees the new version (Authorize).
        await MemberRowLock.RaiseSessionVersionAsync(db, member, cancellationToken);
        // An address change typed in one of the ended sessions must not complete later from that
        // session's mailbox; the member starts it again from this device if it was theirs.
        var withdrawnLinks = await Journey.Email.EmailVerificationService.DeletePendingAsync(db, member.Id, cancellationToken);
        if (withdrawnLinks > 0)
        {
            audit.Record(AuditKinds.EmailVerificationCancelled, member.Id, "every session ended");
        }

        var subject = member.Id.ToString();

        // Collected before revoking: a revocation saves while the query would still be reading.
        var granted = new List<object>();
        var kept = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var authorization in authorizations.FindBySubjectAsync(subject, cancellationToken))
        {
            if (!await authorizations.HasStatusAsync(authorization, Statuses.Valid, cancellationToken))
            {
                continue;
            }

            if (sparedSessionId is not null && await IsFromSessionAsync(authorization, sparedSessionId, cancellationToken))
            {
                kept.Add((await authorizations.GetIdAsync(authorization, cancellationToken))!);
            }
            else
            {
                granted.Add(authorization);
            }
        }

        var live = new List<object>();
        await foreach (var token in tokens.FindBySubjectAsync(subject, cancellationToken))
        {
            if ((await tokens.HasStatusAsync(token, Statuses.Valid, cancellationToken) || await tokens.HasStatusAsync(token, Statuses.Inactive, cancellationToken))
                && !(await tokens.GetAuthorizationIdAsync(token, cancellationToken) is { } family && kept.Contains(family)))
            {
                live.Add(token);
            }
        }

        var revokedTokens = 0;
        foreach (var token in live)
        {
            revokedTokens += await tokens.TryRevokeAsync(token, cancellationToken) ? 1 : 0;
        }

        var revokedAuthorizations = 0;
        foreach (var authorization in granted)
        {
            if (await authorizations.TryRevokeAsync(authorization, cancellationToken))
            {
                revokedAuthorizations++;
                await QueueLogoutAsync(authorization, subject, cancellationToken);
            }
        }

        return (revokedTokens, revokedAuthorizations, withdrawnLinks);
    }

    /// <summary>
    /// "Sign out the other devices", from a page of the member's: ends every session but this
    /// browser's (audited with <paramref name="why"/>), saves that with whatever else the page
    /// changed, tells the apps, and signs this browser in again under the new session version, which
    /// it returns, with whether a pending address change (this browser's too) was withdrawn. The
    /// form is remembered (Journey.RepeatedForm), so a copy of it sent a moment later gets the same
    /// answer instead of the login page. Returns no session, and saves nothing the page changed,
    /// when this browser's own session had ended before the lock was taken: by a copy of this form
    /// that got there first (the caller then answers as it did), or by an operator.
    /// </summary>
    public async Task<(MemberSession? Session, bool AddressChangeWithdrawn)> EndTheOthersAsync(
        HttpContext context, Member member, MemberSession kept, string why, CancellationToken cancellationToken)
    {
        int withdrawnLinks;
        // In a transaction of its own when the page has none: the member's row stays locked until
        // the new version is saved (see EndAllAsync).
        await using (var own = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(cancellationToken) : null)
        {
            if (await MemberRowLock.SessionVersionLockedAsync(db, member.Id, cancellationToken) != kept.Version)
            {
                db.ChangeTracker.Clear();
                return (null, false);
            }

            var (_, _, withdrawn) = await EndAllAsync(member, sparedSessionId: kept.Id, cancellationToken);
            withdrawnLinks = withdrawn;
            audit.Record(AuditKinds.SignedOutEverywhere, member.Id, why);
            Journey.RepeatedForm.Remember(member, kept, context.Request, kept.SecondFactor, time.GetUtcNow());
            await db.SaveChangesAsync(cancellationToken);
            if (own is not null)
            {
                await own.CommitAsync(cancellationToken);
            }
        }

        await NotifyAppsAsync();
        var session = kept with { Version = member.SessionVersion };
        await session.SignInAsync(context);
        return (session, withdrawnLinks > 0);
    }

    /// <summary>
    /// Tells the apps whose sign-ins were ended here (back-channel logout). Called once the change
    /// is committed: no HTTP call waits inside a transaction, and no app is told of a sign-out
    /// that was then rolled back.
    /// </summary>
    public Task<Logout.LogoutDeliveryReport> NotifyAppsAsync() => backchannel.SendQueuedAsync();

    /// <summary>
    /// Signs the member out of this browser's session (the provider's own logout, or a relying
    /// app's end-session request) and ends what it granted: the apps' authorizations made in it are
    /// revoked with their refresh tokens, so none left behind in a shared PC's browser (a browser
    /// app keeps its tokens there) still works. Sessions on other devices keep theirs.
    /// </summary>
    /// <remarks>
    /// A relying app's request names its sign-in by the id_token_hint (its sub and sid), which
    /// counts even when this browser's cookie has already expired or belongs to a later sign-in.
    /// Not cancellable once begun: a member who closes the tab is signed out all the same.
    /// </remarks>
    public async Task SignOutHereAsync(HttpContext context, string where, ClaimsPrincipal? idTokenHint = null)
    {
        var cookie = await MemberSession.ReadAsync(context);
        await context.SignOutAsync(MemberSession.Scheme);
        Journey.MemberCookies.ForgetAll(context);

        var sessions = new HashSet<(Guid Member, string? Session)>();
        if (cookie is not null)
        {
            sessions.Add((cookie.MemberId, cookie.Id));
        }

        if (Guid.TryParse(idTokenHint?.FindFirst(Claims.Subject)?.Value, out var hinted))
        {
            sessions.Add((hinted, idTokenHint!.FindFirst(MemberSession.SessionIdClaim)?.Value));
        }

        await EndAsync(sessions, where);
    }

    /// <summary>
    /// Another member's sign-in over a live session in this browser (the next member at a shared PC,
    /// <see cref="MemberSession.LiveInBrowserAsync"/>): that session is ended with its apps, as if signed out here first.
    /// Overwritten, it could no longer be signed out from this browser, while its apps' refresh tokens
    /// (a browser app's, in this very browser) kept working.
    /// </summary>
    /// <remarks>
    /// Called once the new sign-in is committed, and never failing it: the cookie is replaced either
    /// way, and a session that cannot be ended now (its lock held past the wait) still ends at its
    /// idle timeout and its apps' at the session limit.
    /// </remarks>
    public async Task EndReplacedAsync(MemberSession replaced)
    {
        try
        {
            await EndAsync([(replaced.MemberId, replaced.Id)], "another sign-in in the same browser");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The new sign-in is committed and its cookie set: an error page now would drop that cookie
            // and leave the browser in the earlier member's session. What was tracked for the attempt goes.
            db.ChangeTracker.Clear();
            if (DatabaseUnavailable.Busy(e))
            {
                logger.LogWarning("The session this browser's new sign-in replaced could not be ended now (its lock is held); it ends at its idle timeout");
            }
            else
            {
                logger.LogError(e, "The session this browser's new sign-in replaced could not be ended; it ends at its idle timeout");
            }
        }
    }

    /// <summary>The lock an app's sign-in in a session and that session's sign-out take: one waits for the other.</summary>
    public static string SessionKey(string sessionId) => "session:" + sessionId;

    private async Task EndAsync(IReadOnlyCollection<(Guid Member, string? Session)> sessions, string where)
    {
        if (sessions.Count == 0)
        {
            return;
        }

        // Under each session's own lock (not the member's row, which an import or an operator may hold
        // for long): an app's sign-in being made in the session right now either is committed first and
        // revoked here, or waits and then finds the session ended (Authorize takes the same lock).
        await using (var transaction = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(CancellationToken.None) : null)
        {
            foreach (var session in sessions.Select(s => s.Session).OfType<string>().Distinct().Order(StringComparer.Ordinal))
            {
                await OneAtATime.HoldAsync(db, SessionKey(session), CancellationToken.None);
            }

            foreach (var (member, session) in sessions)
            {
                if (session is not null && !await db.EndedSessions.AnyAsync(e => e.SessionId == session))
                {
                    db.EndedSessions.Add(new EndedSession { SessionId = session, MemberId = member, EndedAt = time.GetUtcNow() });
                }

                var revoked = session is null ? 0 : await EndGrantsOfAsync(member, session, CancellationToken.None);
                audit.Record(AuditKinds.SignedOut, member, $"{where}; {revoked} token(s) revoked");
            }

            await db.SaveChangesAsync(CancellationToken.None);
            if (transaction is not null)
            {
                await transaction.CommitAsync(CancellationToken.None);
            }
        }

        await NotifyAppsAsync();
    }

    private async Task<long> EndGrantsOfAsync(Guid memberId, string sessionId, CancellationToken cancellationToken)
    {
        var ofSession = new List<object>();
        await foreach (var authorization in authorizations.FindBySubjectAsync(memberId.ToString(), cancellationToken))
        {
            if (await authorizations.HasStatusAsync(authorization, Statuses.Valid, cancellationToken)
                && await IsFromSessionAsync(authorization, sessionId, cancellationToken))
            {
                ofSession.Add(authorization);
            }
        }

        long revoked = 0;
        foreach (var authorization in ofSession)
        {
            revoked += await tokens.RevokeByAuthorizationIdAsync((await authorizations.GetIdAsync(authorization, cancellationToken))!, cancellationToken);
            await authorizations.TryRevokeAsync(authorization, cancellationToken);
            await QueueLogoutAsync(authorization, memberId.ToString(), cancellationToken);
        }

        return revoked;
    }

    private async Task<bool> IsFromSessionAsync(object authorization, string sessionId, CancellationToken cancellationToken) =>
        await SessionOfAsync(authorization, cancellationToken) == sessionId;

    private async Task<string?> SessionOfAsync(object authorization, CancellationToken cancellationToken) =>
        (await authorizations.GetPropertiesAsync(authorization, cancellationToken)).TryGetValue(SessionProperty, out var tag)
        && tag.ValueKind == JsonValueKind.String ? tag.GetString() : null;

    /// <summary>The provider session an authorization was made in, read from its stored properties (OpenIddict keeps them as a JSON object).</summary>
    public static string? SessionOf(string? properties)
    {
        if (string.IsNullOrEmpty(properties))
        {
            return null;
        }

        using var document = JsonDocument.Parse(properties);
        return document.RootElement.ValueKind == JsonValueKind.Object
            && document.RootElement.TryGetProperty(SessionProperty, out var tag) && tag.ValueKind == JsonValueKind.String ? tag.GetString() : null;
    }

    private async Task QueueLogoutAsync(object authorization, string subject, CancellationToken cancellationToken) =>
        await backchannel.QueueAsync((await authorizations.GetApplicationIdAsync(authorization, cancellationToken))!, subject,
            await SessionOfAsync(authorization, cancellationToken), cancellationToken);
}
