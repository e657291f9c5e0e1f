using System.Data.Common;

namespace Kosmo.Idp.Persistence;

/// <summary>Whether a failure came from the database (down, unreachable, refusing), anywhere in its chain of causes.</summary>
public static class DatabaseUnavailable
{
    public static bool Caused(Exception failure) =>
        AnyCause(failure, e => e is DbException or TimeoutException or System.Net.Sockets.SocketException
            || e.GetType().Name is "RetryLimitExceededException");

    /// <summary>
    /// The database is there but the work waited too long for, or collided with, other work on the
    /// same rows: lock_not_available (our lock_timeout), serialization_failure, deadlock_detected.
    /// Worth trying again at once; not an outage. (A statement timeout is not among them: a database
    /// too slow to answer is one.)
    /// </summary>
    public static bool Busy(Exception failure) =>
        AnyCause(failure, e => e is DbException { SqlState: "55P03" or "40001" or "40P01" });

    /// <summary>
    /// The database answered, but a table or column is missing: the schema is not migrated to this
    /// version (a new database, a release whose migration has not run, or the wrong database).
    /// PostgreSQL's undefined_table and undefined_column, SQLite's "no such table" and "no such column".
    /// </summary>
    public static bool SchemaMissing(Exception failure) =>
        AnyCause(failure, e => e is DbException db && (db.SqlState is "42P01" or "42703"
            || db.Message.Contains("no such table", StringComparison.Ordinal) || db.Message.Contains("no such column", StringComparison.Ordinal)));

    /// <summary>
    /// The database answered and refused a row whose unique key another writer had just taken:
    /// PostgreSQL's unique_violation, SQLite's UNIQUE constraint. Not a database that is down.
    /// </summary>
    public static bool DuplicateKey(Exception failure) =>
        AnyCause(failure, e => e is DbException db && (db.SqlState is "23505" || db.Message.Contains("UNIQUE constraint failed", StringComparison.Ordinal)));

    private static bool AnyCause(Exception failure, Func<Exception, bool> matches)
    {
        for (var e = failure; e is not null; e = e.InnerException)
        {
            if (matches(e))
            {
                return true;
            }
        }

        return false;
    }
}
