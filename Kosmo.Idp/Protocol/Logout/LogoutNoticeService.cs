using Kosmo.Idp.Operations.Startup;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Protocol.Logout;

/// <summary>Runs <see cref="LogoutNoticeDispatcher"/> every <see cref="BackchannelLogoutOptions.PollInterval"/> on each replica; its lock lets one of them send.</summary>
public sealed class LogoutNoticeService(
    IServiceScopeFactory scopes, IOptions<BackchannelLogoutOptions> options, PreparationState preparation, TimeProvider time,
    ILogger<LogoutNoticeService> logger)
    : ScopedRecurringWork<LogoutNoticeDispatcher>(scopes, preparation, time)
{
    protected override TimeSpan Interval => options.Value.PollInterval;

    protected override Task RunOnceAsync(LogoutNoticeDispatcher dispatcher, CancellationToken cancellationToken) =>
        dispatcher.RunOnceAsync(cancellationToken);

    // The notices stay due.
    protected override void LogFailure(Exception failure) => logger.LogError(failure, "Sending logout notices failed");
}
