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
    public static Task ForChangeAsync(KosmoDbContext db, Guid memberId, CancellationToken cancellationToken) =>
        LockAsync(db, memberId, exclusive: true, cancellationToken);

    /// <summary>For work that needs the member unchanged until it commits; such work runs side by side.</summary>
    public static Task AgainstChangeAsync(KosmoDbContext db, Guid memberId, CancellationToken cancellationToken) =>
        LockAsync(db, memberId, exclusive: false, cancellationToken);

    /// <summary>
    /// Ends every session of the member by raising the stored session version, counted from the value
    /// in the database under the lock: two sign-outs at once (an operator's, and the member's own
    /// "sign out other devices" re-signing this device in) must not both write the same next version.
    /// Saved by the caller's SaveChanges.
    /// </summary>
    public static async Task RaiseSessionVersionAsync(KosmoDbContext db, Member member, CancellationToken cancellationToken)
    {
        await ForChangeAsync(db, member.Id, cancellationToken);
        var stored = await db.Members.Where(m => m.Id == member.Id).Select(m => m.SessionVersion).SingleAsync(cancellationToken);
        var entry = db.Entry(member);
        if (entry.State != EntityState.Detached)
        {
            entry.Property(m => m.SessionVersion).OriginalValue = stored;
        }

        member.SessionVersion = stored + 1;
    }

    private static async Task LockAsync(KosmoDbContext db, Guid memberId, bool exclusive, CancellationToken cancellationToken)
    {
        if (!db.OnPostgres)
        {
            return;
        }

        // A long import or sign-out-everyone holds members' rows: a request waits a few seconds at
        // most, then fails (the page says to try again), rather than holding a pooled connection.
        await OneAtATime.LimitLockWaitAsync(db, cancellationToken);
        await (exclusive
            ? db.Database.ExecuteSqlAsync($"SELECT 1 FROM members WHERE id = {memberId} FOR UPDATE", cancellationToken)
            : db.Database.ExecuteSqlAsync($"SELECT 1 FROM members WHERE id = {memberId} FOR SHARE", cancellationToken));
    }
}
