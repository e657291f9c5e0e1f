using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Kosmo.Idp.Persistence;

public sealed class DatabaseMigrator(KosmoDbContext db, ILogger<DatabaseMigrator> logger)
{
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        var pending = await PendingAsync(cancellationToken);
        if (pending.Count == 0)
        {
            logger.LogInformation("Database schema is current");
            return;
        }

        logger.LogInformation("Applying {Count} migration(s): {Migrations}", pending.Count, pending);
        await db.Database.MigrateAsync(cancellationToken);
    }

    public async Task<bool> IsSchemaCurrentAsync(CancellationToken cancellationToken) =>
        (await PendingAsync(cancellationToken)).Count == 0;

    // Asking a brand-new database for its applied migrations fails (and logs an error) because the
    // history table does not exist yet; then every migration is pending.
    private async Task<IReadOnlyList<string>> PendingAsync(CancellationToken cancellationToken)
    {
        if (!await db.GetService<IHistoryRepository>().ExistsAsync(cancellationToken))
        {
            return db.Database.GetMigrations().ToList();
        }

        return (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
    }
}
