namespace Kosmo.Idp.Members;

/// <summary>
/// A member of the society who signs in here. The first-login journey adds its state
/// (roster identity, birthdate check, terms, email, MFA) beside these columns.
/// </summary>
public sealed class Member
{
    public Guid Id { get; set; } = Guid.NewGuid();

    /// <summary>The login name printed on the member's notice; unique, compared case-insensitively.</summary>
    public required string UserId { get; set; }

    /// <summary><see cref="UserId"/> upper-cased, so lookups hit a unique index on every database.</summary>
    public string NormalizedUserId { get; set; } = "";

    public string? DisplayName { get; set; }

    /// <summary>Self-describing hash (algorithm and parameters inside it), see <see cref="PasswordHashing"/>.</summary>
    public required string PasswordHash { get; set; }

    /// <summary>True while the member still holds a password they did not choose.</summary>
    public bool PasswordMustChange { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public static string Normalize(string userId) => userId.Trim().ToUpperInvariant();
}
