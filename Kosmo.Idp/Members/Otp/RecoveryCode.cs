namespace Kosmo.Idp.Members.Otp;

/// <summary>One of the ten codes a member keeps on paper, each usable once in place of a one-time password.</summary>
public sealed class RecoveryCode
{
    public Guid Id { get; set; } = Guid.NewGuid();

    public Guid MemberId { get; set; }

    /// <summary>SHA-256 of the code: 40 random bits per code make a fast hash enough against the ten-try limit online.</summary>
    public required byte[] CodeHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? UsedAt { get; set; }
}
