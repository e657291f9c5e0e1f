using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Operations.Telemetry;

/// <summary>
/// Telemetry:MetricsPort must be one of the ports the server listens on, and not its only one.
/// Known only once the server has bound its addresses (ASPNETCORE_HTTP_PORTS, ASPNETCORE_URLS,
/// Kestrel's endpoints), so checked then: a port it does not listen on loses the metrics without a
/// word, and the only port would answer every page and endpoint with 404 while the health probes,
/// which it still serves, report the replica ready.
/// </summary>
public sealed class MetricsPortCheck(IServer server, IOptions<TelemetryOptions> options) : IHostedLifecycleService
{
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        // A test server binds no address: nothing to compare.
        if (!settings.MetricsEnabled || settings.MetricsPort is not { } port
            || server.Features.Get<IServerAddressesFeature>()?.Addresses is not { Count: > 0 } addresses)
        {
            return Task.CompletedTask;
        }

        var ports = addresses.Select(address => BindingAddress.Parse(address).Port).Distinct().ToList();
        var listening = string.Join(", ", ports);
        if (!ports.Contains(port))
        {
            throw new Startup.SettingRefusedException(
                $"Telemetry:MetricsPort is {port}, but the service listens on {listening} only: add it (for example ASPNETCORE_HTTP_PORTS=8080;{port}) or leave Telemetry:MetricsPort empty.");
        }

        if (ports.Count == 1)
        {
            throw new Startup.SettingRefusedException(
                $"Telemetry:MetricsPort is {port}, the only port the service listens on: it serves nothing but metrics and health, so the service needs another port for its pages (for example ASPNETCORE_HTTP_PORTS=8080;{port}).");
        }

        return Task.CompletedTask;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
