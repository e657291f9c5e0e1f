using Kosmo.Idp.Operations.Telemetry;
using Kosmo.Idp.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Kosmo.Idp.Operations.Audit;

/// <summary>
/// Records audit events into the caller's unit of work (stored with the change they describe,
/// by the caller's SaveChanges) and writes each to the log as well, once it is stored (saved, and
/// committed when saved inside the caller's transaction): a change
/// given up (a form sent twice, whose second copy is dropped unsaved) must not show in the log,
/// which is what restores events lost with a database restored from an older backup. Being the one
/// place every sign-in and one-time-password event passes, it also feeds the counters of
/// <see cref="KosmoMetrics"/>, which count what was attempted, saved or not.
/// </summary>
public sealed class AuditLog(KosmoDbContext db, TimeProvider time, ILogger<AuditLog> logger, IHttpContextAccessor? http = null, KosmoMetrics? metrics = null)
{
    private readonly List<AuditEvent> _unsaved = [];

    // Saved inside a transaction of the caller's: stored only once it commits.
    private readonly List<(Guid Transaction, AuditEvent Event)> _uncommitted = [];

    /// <summary>The most a detail holds (the column's length).</summary>
    public const int MaximumDetailLength = 1000;

    /// <summary>A detail cut to <paramref name="maximum"/> characters, marked with an ellipsis when cut.</summary>
    public static string Limited(string detail, int maximum = MaximumDetailLength) =>
        detail.Length <= maximum ? detail : detail[..(maximum - 1)] + "…";

    /// <summary>Returns the event so a caller can add an outcome learned after saving (a mail that failed; see <see cref="Complete"/>).</summary>
    public AuditEvent Record(string kind, Guid? memberId, string? detail = null)
    {
        var audit = new AuditEvent
        {
            OccurredAt = time.GetUtcNow(),
            MemberId = memberId,
            Kind = kind,
            Detail = detail,
            // An IPv4 client on a dual-stack socket reads ::ffff:192.0.2.2: stored as 192.0.2.2, as a forwarded one is.
            RemoteAddress = http?.HttpContext?.Connection.RemoteIpAddress is { } address
                ? (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString() : null,
        };
        db.Add(audit);
        if (_unsaved.Count == 0)
        {
            db.SavedChanges += LogSaved;
        }

        _unsaved.Add(audit);
        metrics?.Observe(kind, detail);
        return audit;
    }

    private void LogSaved(object? sender, SavedChangesEventArgs e)
    {
        foreach (var audit in _unsaved.ToList())
        {
            // Still Added: recorded while this save ran, for the next one. Detached: dropped unsaved.
            var state = db.Entry(audit).State;
            if (state == EntityState.Added)
            {
                continue;
            }

            _unsaved.Remove(audit);
            if (state == EntityState.Detached)
            {
                continue;
            }

            if (db.Database.CurrentTransaction is { } transaction)
            {
                // A roster import saves batch after batch and may still be rolled back after them.
                if (_uncommitted.Count == 0)
                {
                    db.TransactionCommitted += LogCommitted;
                }

                _uncommitted.Add((transaction.TransactionId, audit));
                continue;
            }

            Log(audit);
        }

        if (_unsaved.Count == 0)
        {
            db.SavedChanges -= LogSaved;
        }
    }

    private void LogCommitted(Guid transactionId)
    {
        // Events of any other transaction were rolled back with it: one transaction at a time per context.
        foreach (var (_, audit) in _uncommitted.Where(u => u.Transaction == transactionId))
        {
            Log(audit);
        }

        _uncommitted.Clear();
        db.TransactionCommitted -= LogCommitted;
    }

    // With the event's own time: a line written once a long transaction commits (a roster import) comes
    // minutes after it, and the log is what restores the event after a restore from an older backup.
    private void Log(AuditEvent audit)
    {
        if (audit.MemberId is null)
        {
            // An operator's change to an app, a sign-in with an unknown user ID: about no member.
            logger.LogInformation("Audit {AuditKind} at {AuditOccurredAt:o}: {AuditDetail}", audit.Kind, audit.OccurredAt, audit.Detail);
        }
        else
        {
            logger.LogInformation("Audit {AuditKind} for member {MemberId} at {AuditOccurredAt:o}: {AuditDetail}", audit.Kind, audit.MemberId, audit.OccurredAt, audit.Detail);
        }
    }

    /// <summary>
    /// Adds an outcome learned after the event was recorded (whether the member's mail went out) to
    /// the stored detail, and logs the completed detail too: the log copy is what restores audit
    /// events lost with a database restored from an older backup.
    /// </summary>
    public void Complete(AuditEvent recorded, string outcome)
    {
        recorded.Detail = Limited(recorded.Detail is null ? outcome : recorded.Detail + "; " + outcome);
        logger.LogInformation("Audit {AuditKind} for member {MemberId} at {AuditOccurredAt:o} completed: {AuditDetail}", recorded.Kind, recorded.MemberId, recorded.OccurredAt, recorded.Detail);
    }
}
