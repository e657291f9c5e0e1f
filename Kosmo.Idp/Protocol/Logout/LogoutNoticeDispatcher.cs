using Kosmo.Idp.Operations.Maintenance;
using Kosmo.Idp.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Protocol.Logout;

/// <summary>
/// Sends the logout notices that are due: those an app did not accept before, and those saved by
/// signing everyone out. One replica at a time, in batches, until none is due.
/// </summary>
public sealed class LogoutNoticeDispatcher(KosmoDbContext db, BackchannelLogout backchannel, IOptions<BackchannelLogoutOptions> options, TimeProvider time)
{
    // Any fixed number shared by all replicas, other than the pruner's; "KOSMOL" in ASCII.
    public const long LockKey = 0x4B4F534D4F4C;

    /// <summary>Sends every due notice; returns null when another replica is already sending.</summary>
    public Task<LogoutDeliveryReport?> RunOnceAsync(CancellationToken cancellationToken) =>
        OneReplicaAtATime.TryRunAsync(db, LockKey, async () =>
        {
            var total = new LogoutDeliveryReport(0, 0, 0, 0);
            while (true)
            {
                var now = time.GetUtcNow();
                var due = await db.LogoutNotices.Where(n => n.NextAttemptAt <= now).OrderBy(n => n.NextAttemptAt)
                    .Take(options.Value.BatchSize).ToListAsync(cancellationToken);
                var report = await backchannel.SendAsync(due, cancellationToken);
                total = new LogoutDeliveryReport(total.Delivered + report.Delivered, total.Retrying + report.Retrying,
                    total.GivenUp + report.GivenUp, total.Dropped + report.Dropped);
                // What failed is not due again before its back-off, so a full batch means more are waiting.
                db.ChangeTracker.Clear();
                if (due.Count < options.Value.BatchSize)
                {
                    return total;
                }
            }
        }, cancellationToken);
}
