using System.Data.Common;

namespace Kosmo.Idp.Persistence;

/// <summary>Whether a failure came from the database (down, unreachable, refusing), anywhere in its chain of causes.</summary>
public static class DatabaseUnavailable
{
    public static bool Caused(Exception failure)
    {
        for (var e = failure; e is not null; e = e.InnerException)
        {
            if (e is DbException or TimeoutException or System.Net.Sockets.SocketException
                || e.GetType().Name is "RetryLimitExceededException")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The database answered, but a table is missing: the schema was never migrated (a new database,
    /// or the command pointed at the wrong one). PostgreSQL's undefined_table, SQLite's "no such table".
    /// </summary>
    public static bool SchemaMissing(Exception failure)
    {
        for (var e = failure; e is not null; e = e.InnerException)
        {
            if (e is DbException db && (db.SqlState == "42P01" || db.Message.Contains("no such table", StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }
}
