using Kosmo.Idp.Members;
using Kosmo.Idp.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Kosmo.Idp.Journey;

/// <summary>
/// A form that signs this browser in again when it passes (a one-time password; a new password or
/// "sign out the other devices", which end every other session) sent twice: a double click, or a
/// browser's resend on a slow line. The first request passes; the second carries the session as it
/// was, and would find its code used, or its session version ended by the first, and answer with an
/// error or the login page, while the cookie it renews, still the old one, would replace the one
/// the first request set. The member remembers which sign-in last passed such a form; a request
/// of that same sign-in, in the same state, within moments, gets the first one's answer. Only that
/// one: the session id is in its protected cookie, and its state (when the password was typed, for
/// 本人確認 too, the factor and version it had) tells a new sign-in of the session (prompt=login,
/// max_age) from a copy of the old request, so a new sign-in always asks for its own code. An
/// operator's sign-out after the pass (a new session version) ends the replay as well. And only
/// that very form: where it was sent (page and handler) and the fields as sent, the page's
/// antiforgery token among them, are part of the stamp, so one page's pass never answers another's. A copy of the session cookie alone (stolen before the pass) with a form of its own never
/// matches, so it can neither skip the code nor undo "sign out every other device" with a made-up post.
/// </summary>
public static class RepeatedForm
{
    /// <summary>Two requests of one click are seconds apart; this leaves room for a slow network.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(2);

    /// <param name="Method">The second factor the pass left the session with: the code's, or none yet (a first login's new password).</param>
    public sealed record Pass(DateTimeOffset At, string? Method, int Version);

    /// <param name="session">The session before the pass: the one a copy of the form would carry.</param>
    /// <param name="member">The member as the passing request leaves it (its session version included).</param>
    /// <param name="form">The passing request, whose form a copy must repeat exactly.</param>
    public static void Remember(Member member, MemberSession session, HttpRequest form, string? method, DateTimeOffset now)
    {
        member.CodeSessionId = StampOf(session, form);
        member.CodeSessionAt = now;
        member.CodeSessionMethod = method;
        member.CodeSessionVersion = member.SessionVersion;
    }

    /// <summary>
    /// The pass this very request state made moments ago, read from the database (call it under the
    /// member's code lock, so the first request has committed); null when there was none.
    /// </summary>
    public static async Task<Pass?> PassedMomentsAgoAsync(
        KosmoDbContext db, Guid memberId, MemberSession session, HttpRequest form, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (StampOf(session, form) is not { } stamp)
        {
            return null;
        }

        var last = await db.Members.AsNoTracking().Where(m => m.Id == memberId)
            .Select(m => new { m.CodeSessionId, m.CodeSessionAt, m.CodeSessionMethod, m.CodeSessionVersion, m.SessionVersion })
            .SingleAsync(cancellationToken);
        return last.CodeSessionId == stamp && last is { CodeSessionAt: { } at, CodeSessionVersion: { } version }
            && version == last.SessionVersion && now - at < Window
            ? new Pass(at, last.CodeSessionMethod, version)
            : null;
    }

    // Hashed: a fixed length, and neither a session id nor a typed code stored in the clear.
    private static string? StampOf(MemberSession session, HttpRequest request) => session.StampOf(FormattableString.Invariant(
        $"{session.AuthenticatedAt.ToUnixTimeSeconds()}|{session.PasswordRetypedAt?.ToUnixTimeSeconds()}|{session.SecondFactor}|{session.Version}|{request.Path}{request.QueryString}|{FormOf(request)}"));

    // Already read by model binding, so reading it here does no I/O. Every field, in a fixed order,
    // each value length-prefixed so that no two different forms read alike.
    private static string FormOf(HttpRequest request) => !request.HasFormContentType ? ""
        : string.Concat(request.Form.OrderBy(field => field.Key, StringComparer.Ordinal)
            .SelectMany(field => field.Value.Select(value => FormattableString.Invariant($"{field.Key.Length}:{field.Key}{value?.Length}:{value}"))));
}
