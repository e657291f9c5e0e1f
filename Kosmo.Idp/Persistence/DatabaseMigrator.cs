using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Kosmo.Idp.Persistence;

public sealed class DatabaseMigrator(KosmoDbContext db, ILogger<DatabaseMigrator> logger)
{
    // "KOSMOPRP": preparing the database (schema, keys, apps) is done by one process at a time.
    private const long PreparationLock = 0x4B4F534D4F505250;

    /// <summary>
    /// Runs the preparation of a starting replica or the migrate command after any other one has
    /// finished: replicas started together on an empty database would otherwise both apply the
    /// first migration, and both create keys and apps.
    /// </summary>
    public Task OneAtATimeAsync(Func<Task> preparation, CancellationToken cancellationToken) =>
        Operations.Maintenance.OneReplicaAtATime.WaitAndRunAsync(db, PreparationLock, preparation, cancellationToken);

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        var historyExists = await HistoryExistsAsync(cancellationToken);
        var pending = await PendingAsync(historyExists, cancellationToken);
        if (pending.Count == 0)
        {
            logger.LogInformation("Database schema is current");
            return;
        }

        logger.LogInformation("Applying {Count} migration(s): {Migrations}", pending.Count, pending);
        // EF Core first reads the history table, which on a new PostgreSQL database fails and is
        // logged as an error: an empty table made beforehand is read without one.
        if (!historyExists)
        {
            await db.GetService<IHistoryRepository>().CreateIfNotExistsAsync(cancellationToken);
        }

        await db.Database.MigrateAsync(cancellationToken);
    }

    public async Task<bool> IsSchemaCurrentAsync(CancellationToken cancellationToken) =>
        (await PendingAsync(await HistoryExistsAsync(cancellationToken), cancellationToken)).Count == 0;

    // Asking a brand-new database for its applied migrations fails (and logs an error) because the
    // history table does not exist yet; then every migration is pending.
    private async Task<IReadOnlyList<string>> PendingAsync(bool historyExists, CancellationToken cancellationToken)
    {
        if (!historyExists)
        {
            return db.Database.GetMigrations().ToList();
        }

        return (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
    }

    /// <summary>
    /// Npgsql's history repository always says the table exists (the search_path makes it hard to
    /// tell) and lets the query fail, which EF Core logs as an error on every readiness probe of a
    /// replica waiting for `migrate`. PostgreSQL itself resolves the name on the search_path, as the
    /// query would.
    /// </summary>
    private async Task<bool> HistoryExistsAsync(CancellationToken cancellationToken)
    {
        if (!db.OnPostgres)
        {
            return await db.GetService<IHistoryRepository>().ExistsAsync(cancellationToken);
        }

        // The table EF Core uses: its default, or what MigrationsHistoryTable(name, schema) set.
        var relational = Microsoft.EntityFrameworkCore.Infrastructure.RelationalOptionsExtension.Extract(db.GetService<IDbContextOptions>());
        var table = Quoted(relational.MigrationsHistoryTableName ?? HistoryRepository.DefaultTableName);
        var name = relational.MigrationsHistoryTableSchema is { } schema ? Quoted(schema) + "." + table : table;
        return await db.Database.SqlQuery<bool>($"SELECT to_regclass({name}) IS NOT NULL AS \"Value\"").SingleAsync(cancellationToken);
    }

    private static string Quoted(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
