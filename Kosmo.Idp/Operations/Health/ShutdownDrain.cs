using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Operations.Health;

/// <summary>
/// Graceful shutdown: when the host is told to stop, readiness turns unhealthy at once and the
/// process keeps serving for <see cref="ShutdownOptions.DrainDelay"/>, so the load balancer stops
/// sending new members here before the server stops accepting; requests in flight then finish
/// within the host's shutdown timeout.
/// </summary>
public sealed class ShutdownDrain(IHostApplicationLifetime lifetime, IOptions<ShutdownOptions> options, ILogger<ShutdownDrain> logger)
    : IHostedService, IHealthCheck
{
    private volatile bool _draining;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // ApplicationStopping callbacks run before the server and hosted services stop, so blocking here delays them.
        lifetime.ApplicationStopping.Register(() =>
        {
            _draining = true;
            logger.LogInformation("Stopping: not ready any more, draining for {Delay}", options.Value.DrainDelay);
            Thread.Sleep(options.Value.DrainDelay);
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_draining ? HealthCheckResult.Unhealthy("Shutting down.") : HealthCheckResult.Healthy());
}

public sealed class ShutdownOptions
{
    public const string Section = "Shutdown";

    /// <summary>How long readiness is failed before the server stops; a little more than the load balancer's probe period.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan DrainDelay { get; set; } = TimeSpan.FromSeconds(5);
}
