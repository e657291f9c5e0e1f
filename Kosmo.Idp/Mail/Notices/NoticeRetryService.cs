using Kosmo.Idp.Operations.Startup;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Mail.Notices;

/// <summary>Sends again, every <see cref="MemberNoticeOptions.PollInterval"/> on each replica, the notices the provider did not take.</summary>
public sealed class NoticeRetryService(
    IServiceScopeFactory scopes, IOptions<MemberNoticeOptions> options, PreparationState preparation, TimeProvider time,
    ILogger<NoticeRetryService> logger)
    : ScopedRecurringWork<NoticeDelivery>(scopes, preparation, time)
{
    protected override TimeSpan Interval => options.Value.PollInterval;

    protected override Task RunOnceAsync(NoticeDelivery delivery, CancellationToken cancellationToken) =>
        delivery.SendDueAsync(cancellationToken);

    // The notices stay due.
    protected override void LogFailure(Exception failure) => logger.LogError(failure, "Sending member notices failed");
}
