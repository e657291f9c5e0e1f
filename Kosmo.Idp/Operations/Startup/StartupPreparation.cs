using Kosmo.Idp.Persistence;
using Kosmo.Idp.Protocol.Clients;
using Kosmo.Idp.Protocol.Keys;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Operations.Startup;

/// <summary>
/// Runs before the server takes requests: schema (when allowed), keys, configured relying apps,
/// and demo data in Development. A failure here stops the process with the reason in the log.
/// With Database:MigrateOnStart off and the schema behind (a replica started before the `migrate`
/// job finished), the service runs anyway and finishes its preparation by itself once the schema
/// is current: keys, and the relying apps without which every app would get invalid_client.
/// </summary>
internal sealed class StartupPreparation(
    IServiceScopeFactory scopes,
    IOptions<DatabaseOptions> database,
    ProtocolKeyRefresher keys,
    PreparationState state,
    IHostApplicationLifetime lifetime,
    ILogger<StartupPreparation> logger) : IHostedService
{
    private static readonly TimeSpan SchemaPollInterval = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource _stopping = new();
    private Task _waitingForMigration = Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!await TryPrepareAsync(cancellationToken))
        {
            // Keep running: readiness reports the schema until the migration job has run.
            logger.LogWarning("The database schema is not current and Database:MigrateOnStart is off; run `migrate`");
            _waitingForMigration = FinishOnceMigratedAsync(_stopping.Token);
        }

        // Building the EF Core model, migrating and syncing leave garbage and committed heap behind
        // that an idle service would otherwise keep until its first busy minute: give it back once,
        // now, before the server takes requests (a few milliseconds for a heap this size).
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Not disposed: the host may stop a service that it never started, or stop one twice.
        await _stopping.CancelAsync();
        await _waitingForMigration;
    }

    /// <summary>The whole preparation, one replica at a time; false when the schema is behind and may not be migrated here.</summary>
    private async Task<bool> TryPrepareAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var migrator = services.GetRequiredService<DatabaseMigrator>();
        var prepared = false;
        await migrator.OneAtATimeAsync(async () => prepared = await PrepareAsync(services, migrator, cancellationToken), cancellationToken);
        return prepared;
    }

    private async Task<bool> PrepareAsync(IServiceProvider services, DatabaseMigrator migrator, CancellationToken cancellationToken)
    {
        if (database.Value.MigrateOnStart)
        {
            await migrator.MigrateAsync(cancellationToken);
        }
        else if (!await migrator.IsSchemaCurrentAsync(cancellationToken))
        {
            return false;
        }

        // Before anything reads the ring: a wrong certificate is named here, in one line, where Data
        // Protection would log a stack trace per key it cannot decrypt and refuse to add its own.
        if (await services.GetRequiredService<KeyRingCertificate>().EnsureItReadsTheRingAsync(services.GetRequiredService<KosmoDbContext>(), cancellationToken) is { } unencrypted)
        {
            logger.LogWarning("{Warning}", unencrypted);
        }

        await services.GetRequiredService<ProtocolKeyStore>().EnsureCreatedAsync(cancellationToken);
        await keys.RefreshAsync(cancellationToken);
        await services.GetRequiredService<RelyingAppSync>().SyncAsync(cancellationToken);
        await services.GetRequiredService<Protocol.Apis.ApiScopeSync>().SyncAsync(cancellationToken);
        await services.GetRequiredService<DemoData>().SeedAsync(cancellationToken);
        // Opens the service to requests (Web.WaitForKeys): keys, apps and scopes are all there now.
        state.MarkDone();
        return true;
    }

    private async Task FinishOnceMigratedAsync(CancellationToken stopping)
    {
        try
        {
            while (true)
            {
                await Task.Delay(SchemaPollInterval, stopping);
                try
                {
                    if (await TryPrepareAsync(stopping))
                    {
                        logger.LogInformation("The database schema is current now: keys loaded, relying apps and API scopes synced");
                        return;
                    }
                }
                catch (SettingRefusedException refused)
                {
                    // As a refusal at start would: no retry makes a wrong setting right, and a replica
                    // that stays "not ready" forever hides the reason from the orchestrator.
                    logger.LogCritical("The service could not start: {Reason}", refused.Message);
                    Environment.ExitCode = 1;
                    lifetime.StopApplication();
                    return;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "Finishing the start-up preparation failed; trying again");
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping before the migration ran: nothing to finish.
        }
    }
}
