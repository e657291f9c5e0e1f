namespace Kosmo.Idp.Mail.Notices;

/// <summary>
/// A notice to a member that is still to be handed to the mail provider. Saved by the page that
/// made the change, so a provider that is down or slow neither holds up the member's page nor
/// loses the notice: it is sent at once in the background and again until
/// <see cref="MemberNoticeOptions.RetryFor"/> has passed. Deleted once sent or given up.
/// </summary>
public sealed class PendingNotice
{
    public Guid Id { get; set; }

    public static PendingNotice Create(Guid memberId, string to, MemberNotice notice, DateTimeOffset now) =>
        new() { Id = Guid.CreateVersion7(now), MemberId = memberId, To = to, Notice = notice, HappenedAt = now, NextAttemptAt = now };

    /// <summary>Whose account changed; what logs and operators are told instead of the address.</summary>
    public Guid MemberId { get; set; }

    /// <summary>The address when the change happened: an address just replaced is told of its replacement.</summary>
    public required string To { get; set; }

    public MemberNotice Notice { get; set; }

    /// <summary>When the change happened, which the mail states (not when a retry got it out).</summary>
    public DateTimeOffset HappenedAt { get; set; }

    public int Attempts { get; set; }

    /// <summary>Not before this time; also a lease, moved ahead by whoever takes the notice to send it.</summary>
    public DateTimeOffset NextAttemptAt { get; set; }

    /// <summary>Why the last attempt failed, for operators: the mail sender's own reason.</summary>
    public string? LastFailure { get; set; }
}
