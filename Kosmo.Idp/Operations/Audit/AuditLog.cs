using Kosmo.Idp.Persistence;

namespace Kosmo.Idp.Operations.Audit;

/// <summary>
/// Records audit events into the caller's unit of work (stored with the change they describe,
/// by the caller's SaveChanges) and writes each to the log as well.
/// </summary>
public sealed class AuditLog(KosmoDbContext db, TimeProvider time, ILogger<AuditLog> logger, IHttpContextAccessor? http = null)
{
    public void Record(string kind, Guid? memberId, string? detail = null)
    {
        db.Add(new AuditEvent
        {
            OccurredAt = time.GetUtcNow(),
            MemberId = memberId,
            Kind = kind,
            Detail = detail,
            RemoteAddress = http?.HttpContext?.Connection.RemoteIpAddress?.ToString(),
        });
        logger.LogInformation("Audit {AuditKind} for member {MemberId}: {AuditDetail}", kind, memberId, detail);
    }
}
