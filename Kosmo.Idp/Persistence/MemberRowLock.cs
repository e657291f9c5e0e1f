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
        db.OnPostgres
            ? db.Database.ExecuteSqlAsync($"SELECT 1 FROM members WHERE id = {memberId} FOR UPDATE", cancellationToken)
            : Task.CompletedTask;

    /// <summary>For work that needs the member unchanged until it commits; such work runs side by side.</summary>
    public static Task AgainstChangeAsync(KosmoDbContext db, Guid memberId, CancellationToken cancellationToken) =>
        db.OnPostgres
            ? db.Database.ExecuteSqlAsync($"SELECT 1 FROM members WHERE id = {memberId} FOR SHARE", cancellationToken)
            : Task.CompletedTask;
}
