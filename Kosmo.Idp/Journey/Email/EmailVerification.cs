using Kosmo.Idp.Members;

namespace Kosmo.Idp.Journey.Email;

/// <summary>
/// A verification link sent to an address the member typed. Only the SHA-256 of the link's
/// random token is stored, so a database reader cannot open anyone's link. A member has at most
/// one live link: sending a new one (resend or another address) marks the older ones replaced.
/// </summary>
public sealed class EmailVerification
{
    public Guid Id { get; set; } = Guid.NewGuid();

    public Guid MemberId { get; set; }

    public Member? Member { get; set; }

    public required string Email { get; set; }

    public required byte[] TokenHash { get; set; }

    public DateTimeOffset SentAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? ConsumedAt { get; set; }

    /// <summary>
    /// A newer link was mailed: this one confirms nothing any more, and is kept until it would have
    /// expired only to tell a member who opens it which mail to open (or that the address is confirmed).
    /// </summary>
    public DateTimeOffset? ReplacedAt { get; set; }
}

public static class EmailVerificationQueries
{
    /// <summary>Links that can still confirm an address: neither opened nor replaced by a newer mail.</summary>
    public static IQueryable<EmailVerification> Live(this IQueryable<EmailVerification> links) =>
        links.Where(v => v.ConsumedAt == null && v.ReplacedAt == null);
}
