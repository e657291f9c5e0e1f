namespace Kosmo.Idp.Operations.Audit;

/// <summary>
/// One thing that happened to a member's account, kept for the society's operators. Details
/// name what changed, never a secret (no password, code, token or link).
/// </summary>
public sealed class AuditEvent
{
    public long Id { get; set; }

    public DateTimeOffset OccurredAt { get; set; }

    public Guid? MemberId { get; set; }

    public required string Kind { get; set; }

    public string? Detail { get; set; }

    /// <summary>The client's address for events caused by a request; null for the CLI.</summary>
    public string? RemoteAddress { get; set; }
}
