using Kosmo.Idp.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Kosmo.Idp.Operations.Maintenance;

/// <summary>
/// Background work that one replica at a time does (pruning, sending logout notices): on PostgreSQL
/// under a session-level advisory lock, held on one connection for the whole pass and released
/// with it even when the process dies; the embedded SQLite file has one process anyway.
/// </summary>
public static class OneReplicaAtATime
{
    /// <summary>Runs <paramref name="work"/> under the lock <paramref name="lockKey"/>, waiting for another replica that holds it to finish.</summary>
    public static async Task WaitAndRunAsync(KosmoDbContext db, long lockKey, Func<Task> work, CancellationToken cancellationToken)
    {
        // Asked again every second rather than waited for in one statement, which the command
        // timeout would cut off while another replica runs a long migration.
        while (await TryRunAsync(db, lockKey, async () => { await work(); return Ran; }, cancellationToken) is null)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
    }

    private static readonly object Ran = new();

    /// <summary>Runs <paramref name="work"/> under the lock <paramref name="lockKey"/>; returns null when another replica holds it.</summary>
    public static async Task<T?> TryRunAsync<T>(KosmoDbContext db, long lockKey, Func<Task<T>> work, CancellationToken cancellationToken)
        where T : class
    {
        var postgres = db.OnPostgres;
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            if (postgres && !await db.Database.SqlQueryRaw<bool>("SELECT pg_try_advisory_lock({0}) AS \"Value\"", lockKey).SingleAsync(cancellationToken))
            {
                return null;
            }

            try
            {
                return await work();
            }
            finally
            {
                if (postgres)
                {
                    await db.Database.SqlQueryRaw<bool>("SELECT pg_advisory_unlock({0}) AS \"Value\"", lockKey).SingleAsync(CancellationToken.None);
                }
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
