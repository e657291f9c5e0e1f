using Kosmo.Idp.Operations.Startup;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Operations.Maintenance;

/// <summary>Runs the pruner every <see cref="PruningOptions.Interval"/> on each replica; the pruner's lock lets one of them work.</summary>
public sealed class PruningService(
    IServiceScopeFactory scopes, IOptions<PruningOptions> options, PreparationState preparation, TimeProvider time, ILogger<PruningService> logger)
    : ScopedRecurringWork<Pruner>(scopes, preparation, time)
{
    protected override TimeSpan Interval => options.Value.Interval;

    protected override bool Enabled => options.Value.Enabled;

    protected override Task RunOnceAsync(Pruner pruner, CancellationToken cancellationToken) =>
        pruner.RunOnceAsync(cancellationToken);

    // A failed pass leaves only rows that are already useless.
    protected override void LogFailure(Exception failure) => logger.LogError(failure, "Pruning failed");
}
