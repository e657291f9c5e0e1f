namespace Kosmo.Idp.Operations.Startup;

/// <summary>
/// Work each replica repeats on a timer (pruning, logout notices, the key refresh). It runs only
/// once the replica is open: one waiting for `migrate` has no tables to work on yet, and would
/// only log failures. A failed round is logged, and the next tick tries again.
/// </summary>
public abstract class RecurringWork(PreparationState preparation, TimeProvider time) : BackgroundService
{
    protected TimeProvider Time => time;

    protected abstract TimeSpan Interval { get; }

    protected virtual bool Enabled => true;

    protected abstract Task RunOnceAsync(CancellationToken cancellationToken);

    /// <summary>Says what the failed round leaves behind, at the level that deserves.</summary>
    protected abstract void LogFailure(Exception failure);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled)
        {
            return;
        }

        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (!preparation.IsDone)
                {
                    continue;
                }

                try
                {
                    await RunOnceAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogFailure(e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping. Also when the host never started (its port taken): it then disposes the
            // service without stopping it, and the cancellation would read as the service failing,
            // a second Fatal line above the one that says why the start failed.
        }
    }
}

/// <summary>Recurring work done by a scoped service: each round gets its own scope (a fresh DbContext).</summary>
public abstract class ScopedRecurringWork<TService>(IServiceScopeFactory scopes, PreparationState preparation, TimeProvider time)
    : RecurringWork(preparation, time)
    where TService : notnull
{
    protected abstract Task RunOnceAsync(TService service, CancellationToken cancellationToken);

    protected sealed override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        await RunOnceAsync(scope.ServiceProvider.GetRequiredService<TService>(), cancellationToken);
    }
}
