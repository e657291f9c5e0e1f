using Microsoft.EntityFrameworkCore;

namespace Kosmo.Idp.Persistence;

/// <summary>
/// Runs work that reads a limit and then acts on it (wrong tries against a lockout, mails against
/// a cooldown) one request at a time per key, on every replica. Otherwise requests sent in
/// parallel all read the limit before any of them counts, and all get through: 25 guesses where 6
/// are allowed. On PostgreSQL a transaction-level advisory lock on the key, released at commit or
/// rollback; SQLite (development) takes its write lock when the transaction starts.
/// </summary>
public static class OneAtATime
{
    // The first half of the two-part advisory lock key: this lock's space, apart from other users of advisory locks.
    private const int LockSpace = 0x4B49; // "KI"

    public static async Task<T> RunAsync<T>(KosmoDbContext db, string key, Func<Task<T>> work, CancellationToken cancellationToken)
    {
        if (db.Database.CurrentTransaction is not null)
        {
            await LockAsync(db, key, cancellationToken);
            return await work();
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await LockAsync(db, key, cancellationToken);
        var result = await work();
        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    /// <summary>Takes the key's lock in the caller's transaction, held until it ends.</summary>
    public static async Task HoldAsync(KosmoDbContext db, string key, CancellationToken cancellationToken)
    {
        if (db.Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException("A lock held until the transaction ends needs a transaction.");
        }

        await LockAsync(db, key, cancellationToken);
    }

    private static async Task LockAsync(KosmoDbContext db, string key, CancellationToken cancellationToken)
    {
        if (db.OnPostgres)
        {
            await LimitLockWaitAsync(db, cancellationToken);
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({LockSpace}, hashtext({key}))", cancellationToken);
        }
    }

    /// <summary>
    /// For the rest of the transaction (PostgreSQL): a waiting request holds a pooled connection, so
    /// a burst at one key waits a few seconds at most, then fails (the page says to try again) rather
    /// than draining the pool.
    /// </summary>
    public static Task LimitLockWaitAsync(KosmoDbContext db, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlRawAsync("SET LOCAL lock_timeout = '5s'", cancellationToken);
}
