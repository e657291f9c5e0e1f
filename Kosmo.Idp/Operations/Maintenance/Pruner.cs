using Kosmo.Idp.Members;
using Kosmo.Idp.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;

namespace Kosmo.Idp.Operations.Maintenance;

/// <summary>
/// Deletes what no longer matters: expired tokens and authorizations, verification links,
/// mailed codes, abandoned app setups, forgotten sign-in failures, past per-address windows and (when configured) old audit
/// events, in batches. On PostgreSQL one replica at a time does it, under an advisory lock.
/// </summary>
public sealed class Pruner(
    KosmoDbContext db, IOpenIddictTokenManager tokens, IOpenIddictAuthorizationManager authorizations,
    IOptions<PruningOptions> options, IOptions<SignInLockoutOptions> lockout, IOptions<Journey.MemberSessionOptions> sessions,
    TimeProvider time, ILogger<Pruner> logger)
{
    // Any fixed number shared by all replicas; "KOSMO" in ASCII.
    public const long LockKey = 0x4B4F534D4F;

    /// <summary>Runs one pass; returns null when another replica is already pruning.</summary>
    public async Task<PruneReport?> RunOnceAsync(CancellationToken cancellationToken)
    {
        var report = await OneReplicaAtATime.TryRunAsync(db, LockKey, () => PruneAsync(cancellationToken), cancellationToken);
        if (report is null)
        {
            logger.LogInformation("Pruning skipped: another replica is pruning");
        }
        else
        {
            logger.LogInformation("Pruned {Report}", report);
        }

        return report;
    }

    private async Task<PruneReport> PruneAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        var before = now - settings.MinimumAge;
        // What a session may still use is kept while the session can live: its authorization (back-channel
        // logout finds the apps through it), a redeemed refresh token (a replay must still revoke its
        // family) and an app setup the member is scanning. The session's age caps all of them.
        var beforeAnyLiveSession = now - TimeSpan.FromTicks(Math.Max(settings.MinimumAge.Ticks, sessions.Value.ReauthenticateAfter.Ticks));
        var forgotten = now - lockout.Value.FailureMemory;
        var currentWindow = Journey.Password.AddressThrottle.WindowOf(now);

        var report = new PruneReport(
            Tokens: await tokens.PruneAsync(beforeAnyLiveSession, cancellationToken),
            Authorizations: await authorizations.PruneAsync(beforeAnyLiveSession, cancellationToken),
            EmailVerifications: await InBatchesAsync(db.EmailVerifications.Where(v => v.ExpiresAt < before).OrderBy(v => v.Id), cancellationToken),
            EmailCodes: await InBatchesAsync(db.EmailOtpChallenges.Where(c => c.SentAt < before).OrderBy(c => c.Id), cancellationToken),
            AbandonedAppSetups: await InBatchesAsync(db.TotpDevices.Where(d => d.ConfirmedAt == null && d.CreatedAt < beforeAnyLiveSession).OrderBy(d => d.Id), cancellationToken),
            SignInThrottles: await InBatchesAsync(
                db.SignInThrottles.Where(t => t.LastFailureAt < forgotten && (t.LockedUntil == null || t.LockedUntil < now)).OrderBy(t => t.NormalizedUserId),
                cancellationToken),
            // A window counts only during its own minute.
            AddressPostCounts: await InBatchesAsync(
                db.AddressPostCounts.Where(c => c.WindowMinute < currentWindow).OrderBy(c => c.Address), cancellationToken),
            // A signed-out session's cookie is refused anyway once the session is older than this.
            EndedSessions: await InBatchesAsync(
                db.EndedSessions.Where(e => e.EndedAt < now - sessions.Value.ReauthenticateAfter).OrderBy(e => e.SessionId), cancellationToken),
            AuditEvents: settings.AuditRetention is { } retention
                ? await InBatchesAsync(db.AuditEvents.Where(a => a.OccurredAt < now - retention).OrderBy(a => a.Id), cancellationToken)
                : 0);
        return report;
    }

    private async Task<long> InBatchesAsync<T>(IOrderedQueryable<T> expired, CancellationToken cancellationToken)
    {
        long total = 0;
        int deleted;
        do
        {
            deleted = await expired.Take(options.Value.BatchSize).ExecuteDeleteAsync(cancellationToken);
            total += deleted;
        }
        while (deleted == options.Value.BatchSize);

        return total;
    }
}

public sealed record PruneReport(
    long Tokens, long Authorizations, long EmailVerifications, long EmailCodes, long AbandonedAppSetups, long SignInThrottles, long AddressPostCounts, long EndedSessions, long AuditEvents);
