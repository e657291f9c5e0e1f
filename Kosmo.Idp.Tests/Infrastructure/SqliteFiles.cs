namespace Kosmo.Idp.Tests.Infrastructure;

/// <summary>The embedded SQLite database of a test, removed with its write-ahead log and shared-memory index.</summary>
public static class SqliteFiles
{
    public static string NewPath(string purpose) => Path.Combine(Path.GetTempPath(), $"kosmo-{purpose}-{Guid.NewGuid():N}.db");

    public static void Delete(string file)
    {
        // Pooled connections keep the file open.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var part in new[] { "", "-wal", "-shm" })
        {
            File.Delete(file + part);
        }
    }
}
