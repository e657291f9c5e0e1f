using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Kosmo.Idp.Persistence;

/// <summary>
/// Lets requests share the development SQLite file without "database is locked". In SQLite's
/// default rollback journal a commit waits for every reader to finish, and Microsoft.Data.Sqlite
/// retries only the first step of a statement, so a login committing while another page read
/// failed with a 503. Write-ahead logging lets readers and one writer work side by side, and the
/// native busy timeout makes any remaining wait (two writers) a wait rather than an error.
/// </summary>
internal sealed class SqliteConnectionSetup : DbConnectionInterceptor
{
    // The journal mode is stored in the file (set once, kept); the busy timeout is per connection.
    private const string Pragmas = "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL;";

    // The file's folder is made when something first opens the database, not when the service is
    // built: a command that refuses to run without the database (run from another folder) leaves no
    // empty folder behind.
    public override InterceptionResult ConnectionOpening(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
    {
        CreateFolderOf(connection);
        return result;
    }

    public override ValueTask<InterceptionResult> ConnectionOpeningAsync(
        DbConnection connection, ConnectionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
    {
        CreateFolderOf(connection);
        return ValueTask.FromResult(result);
    }

    private static void CreateFolderOf(DbConnection connection)
    {
        if (Path.GetDirectoryName(connection.DataSource) is { Length: > 0 } folder)
        {
            Shared.PrivateFiles.CreateFolder(folder);
        }
    }

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
