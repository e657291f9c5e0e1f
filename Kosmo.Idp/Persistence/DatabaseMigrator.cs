using Microsoft.EntityFrameworkCore;

namespace Kosmo.Idp.Persistence;

public sealed class DatabaseMigrator(KosmoDbContext db, ILogger<DatabaseMigrator> logger)
{
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        if (pending.Count == 0)
        {
            logger.LogInformation("Database schema is current");
            return;
        }

        logger.LogInformation("Applying {Count} migration(s): {Migrations}", pending.Count, pending);
        await db.Database.MigrateAsync(cancellationToken);
    }

    public async Task<bool> IsSchemaCurrentAsync(CancellationToken cancellationToken) =>
        !(await db.Database.GetPendingMigrationsAsync(cancellationToken)).Any();
}
