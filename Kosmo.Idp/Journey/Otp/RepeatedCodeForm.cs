using Kosmo.Idp.Members;
using Kosmo.Idp.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Kosmo.Idp.Journey.Otp;

/// <summary>
/// A code form sent twice (a double click, a browser's retry) carries the session as it was: the
/// first request signs it in, the second finds its code used and would answer with an error, and
/// the session cookie it renews, still without the code, would replace the signed-in one. The
/// member remembers which sign-in last passed a code; a request of that same sign-in within
/// moments gets the first one's answer. Only that sign-in: the session id is in its protected
/// cookie, and the time its password was typed tells a new sign-in of the session (prompt=login,
/// 本人確認) from a copy of the old one, so a new sign-in always asks for its own code.
/// </summary>
public static class RepeatedCodeForm
{
    /// <summary>Two requests of one click are seconds apart; this leaves room for a slow network.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(2);

    /// <summary>The sign-in as the code form saw it: the session, and when its password was typed.</summary>
    private static string? StampOf(MemberSession session) => session.Id is null ? null
        : FormattableString.Invariant($"{session.Id}:{session.AuthenticatedAt.ToUnixTimeSeconds()}:{session.PasswordRetypedAt?.ToUnixTimeSeconds()}");

    /// <param name="session">The session before the code: the one a copy of the form would carry.</param>
    public static void Remember(Member member, MemberSession session, string method, DateTimeOffset now)
    {
        member.CodeSessionId = StampOf(session);
        member.CodeSessionAt = now;
        member.CodeSessionMethod = method;
    }

    /// <summary>
    /// When and how this session passed a code moments ago, read from the database (call it under
    /// the member's code lock, so the first request has committed); null when it did not.
    /// </summary>
    public static async Task<(DateTimeOffset At, string Method)?> PassedMomentsAgoAsync(
        KosmoDbContext db, Guid memberId, MemberSession session, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (StampOf(session) is not { } stamp)
        {
            return null;
        }

        var last = await db.Members.AsNoTracking().Where(m => m.Id == memberId)
            .Select(m => new { m.CodeSessionId, m.CodeSessionAt, m.CodeSessionMethod })
            .SingleAsync(cancellationToken);
        return last.CodeSessionId == stamp && last is { CodeSessionAt: { } at, CodeSessionMethod: { } method } && now - at < Window
            ? (at, method)
            : null;
    }
}
