using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Operations.Maintenance;

/// <summary>Runs the pruner every <see cref="PruningOptions.Interval"/> on each replica; the pruner's lock lets one of them work.</summary>
public sealed class PruningService(
    IServiceScopeFactory scopes, IOptions<PruningOptions> options, Startup.PreparationState preparation, TimeProvider time, ILogger<PruningService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            // A replica waiting for `migrate` has no tables to work on yet: nothing to do, nor to log, until it opens.
            if (!preparation.IsDone)
            {
                continue;
            }

            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<Pruner>().RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The next tick tries again; a failed pass leaves only rows that are already useless.
                logger.LogError(e, "Pruning failed");
            }
        }
    }
}
