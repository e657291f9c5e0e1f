namespace Kosmo.Idp.Members;

/// <summary>
/// Wrong-password count and lock for one typed user ID. Kept per user ID as typed (normalized),
/// whether or not such a member exists, so a locked-out unknown ID looks exactly like a
/// locked-out member and the lock reveals nothing. Lives in the database so every replica sees it.
/// </summary>
public sealed class SignInThrottle
{
    public required string NormalizedUserId { get; set; }

    public int FailedCount { get; set; }

    public DateTimeOffset LastFailureAt { get; set; }

    public DateTimeOffset? LockedUntil { get; set; }
}
