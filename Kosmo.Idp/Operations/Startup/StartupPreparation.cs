using Kosmo.Idp.Persistence;
using Kosmo.Idp.Protocol.Clients;
using Kosmo.Idp.Protocol.Keys;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Operations.Startup;

/// <summary>
/// Runs before the server takes requests: schema (when allowed), keys, configured relying apps,
/// and demo data in Development. A failure here stops the process with the reason in the log.
/// </summary>
internal sealed class StartupPreparation(
    IServiceScopeFactory scopes,
    IOptions<DatabaseOptions> database,
    ProtocolKeyRefresher keys,
    ILogger<StartupPreparation> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var migrator = services.GetRequiredService<DatabaseMigrator>();
        await migrator.OneAtATimeAsync(() => PrepareAsync(services, migrator, cancellationToken), cancellationToken);

        // Building the EF Core model, migrating and syncing leave garbage and committed heap behind
        // that an idle service would otherwise keep until its first busy minute: give it back once,
        // now, before the server takes requests (a few milliseconds for a heap this size).
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    private async Task PrepareAsync(IServiceProvider services, DatabaseMigrator migrator, CancellationToken cancellationToken)
    {
        if (database.Value.MigrateOnStart)
        {
            await migrator.MigrateAsync(cancellationToken);
        }
        else if (!await migrator.IsSchemaCurrentAsync(cancellationToken))
        {
            // Keep running: readiness reports the reason until the migration job has run.
            logger.LogWarning("The database schema is not current and Database:MigrateOnStart is off; run `migrate`");
            return;
        }

        await services.GetRequiredService<ProtocolKeyStore>().EnsureCreatedAsync(cancellationToken);
        await keys.RefreshAsync(cancellationToken);
        await services.GetRequiredService<RelyingAppSync>().SyncAsync(cancellationToken);
        await services.GetRequiredService<Protocol.Apis.ApiScopeSync>().SyncAsync(cancellationToken);
        await services.GetRequiredService<DemoData>().SeedAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
