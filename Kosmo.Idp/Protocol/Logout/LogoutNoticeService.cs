using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Protocol.Logout;

/// <summary>Runs <see cref="LogoutNoticeDispatcher"/> every <see cref="BackchannelLogoutOptions.PollInterval"/> on each replica; its lock lets one of them send.</summary>
public sealed class LogoutNoticeService(
    IServiceScopeFactory scopes, IOptions<BackchannelLogoutOptions> options, Operations.Startup.PreparationState preparation, TimeProvider time,
    ILogger<LogoutNoticeService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PollInterval, time);
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
                await scope.ServiceProvider.GetRequiredService<LogoutNoticeDispatcher>().RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The notices stay due; the next tick tries again.
                logger.LogError(e, "Sending logout notices failed");
            }
        }
    }
}
