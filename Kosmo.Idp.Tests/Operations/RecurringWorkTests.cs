using Kosmo.Idp.Operations.Startup;

namespace Kosmo.Idp.Tests.Operations;

/// <summary>The timer loop every background round shares (pruning, logout notices, the key refresh).</summary>
public sealed class RecurringWorkTests
{
    [Test]
    public async Task DisposedWithoutBeingStopped_AsAHostThatCouldNotStartDoes_EndsQuietly_NotAsAFailure()
    {
        var work = new Ticking();
        await work.StartAsync(CancellationToken.None);
        // .NET starts ExecuteAsync on the thread pool: let it reach its first wait, as in a host whose
        // services have been starting for seconds before the port turned out to be taken.
        await Task.Delay(TimeSpan.FromMilliseconds(500));

        // A host whose port is taken never calls StopAsync: it disposes its services.
        work.Dispose();
        await Task.WhenAny(work.ExecuteTask!, Task.Delay(TimeSpan.FromSeconds(10)));

        Assert.That(work.ExecuteTask!.Status, Is.EqualTo(TaskStatus.RanToCompletion),
            "a faulted or cancelled task is logged by the host as a background service failing, a second Fatal line");
        Assert.That(work.Failures, Is.Zero);
    }

    private sealed class Ticking() : RecurringWork(new PreparationState(), TimeProvider.System)
    {
        public int Failures { get; private set; }

        protected override TimeSpan Interval => TimeSpan.FromHours(1);

        protected override Task RunOnceAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        protected override void LogFailure(Exception failure) => Failures++;
    }
}
