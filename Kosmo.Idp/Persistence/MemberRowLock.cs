using Kosmo.Idp.Members;
using Microsoft.EntityFrameworkCore;

namespace Kosmo.Idp.Persistence;

/// <summary>
/// Row locks on a member, held until the caller's transaction ends (outside one they end at once).
/// Work that reads the member and then acts on what it read takes one, so that a change made at the
/// same moment on another replica either waits for it or is seen by it. SQLite (development) takes
/// its write lock when a transaction starts, and has no row locks.
/// </summary>
public static class MemberRowLock
{
    /// <summary>For a change that depends on what it read: one at a time per member.</summary>
    public static async Task ForChangeAsync(KosmoDbContext db, Guid memberId, CancellationToken cancellationToken)
    {
        if (db.OnPostgres)
        {
            await OneAtATime.LimitLockWaitAsync(db, cancellationToken);
            await db.Database.ExecuteSqlAsync($"SELECT 1 FROM members WHERE id = {memberId} FOR UPDATE", cancellationToken);
        }
    }

    /// <summary>
    /// The member's session version as stored, unchanged until the caller commits: work that needs
    /// the member's sessions to stay as they are (such work runs side by side).
    /// </summary>
    public static Task<int> SessionVersionKeptAsync(KosmoDbContext db, Guid memberId, CancellationToken cancellationToken) =>
        SessionVersionHeldAsync(db, memberId, exclusive: false, cancellationToken);

    /// <summary>The member's session version as stored, locked for a change until the caller commits: no session ends meanwhile.</summary>
    public static Task<int> SessionVersionLockedAsync(KosmoDbContext db, Guid memberId, CancellationToken cancellationToken) =>
        SessionVersionHeldAsync(db, memberId, exclusive: true, cancellationToken);

    /// <summary>
    /// Ends every session of the member by raising the stored session version, counted from the value
    /// in the database under the lock: two sign-outs at once (an operator's, and the member's own
    /// "sign out other devices" re-signing this device in) must not both write the same next version.
    /// Saved by the caller's SaveChanges.
    /// </summary>
    public static async Task RaiseSessionVersionAsync(KosmoDbContext db, Member member, CancellationToken cancellationToken)
    {
        var stored = await SessionVersionHeldAsync(db, member.Id, exclusive: true, cancellationToken);
        var entry = db.Entry(member);
        if (entry.State != EntityState.Detached)
        {
            entry.Property(m => m.SessionVersion).OriginalValue = stored;
        }

        member.SessionVersion = stored + 1;
    }

    /// <summary>The lock and the read in one statement.</summary>
    private static async Task<int> SessionVersionHeldAsync(KosmoDbContext db, Guid memberId, bool exclusive, CancellationToken cancellationToken)
    {
        if (!db.OnPostgres)
        {
            return await db.Members.Where(m => m.Id == memberId).Select(m => m.SessionVersion).SingleAsync(cancellationToken);
        }

        // A long import or sign-out-everyone holds members' rows: a request waits a few seconds at
        // most, then fails (the page says to try again), rather than holding a pooled connection.
        await OneAtATime.LimitLockWaitAsync(db, cancellationToken);
        var held = exclusive
            ? db.Database.SqlQuery<int>($"SELECT session_version AS \"Value\" FROM members WHERE id = {memberId} FOR UPDATE")
            : db.Database.SqlQuery<int>($"SELECT session_version AS \"Value\" FROM members WHERE id = {memberId} FOR SHARE");
        return await held.SingleAsync(cancellationToken);
    }
}
