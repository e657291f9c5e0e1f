namespace Kosmo.Idp.Members.Otp;

/// <summary>
/// An authenticator app (or browser extension) holding a TOTP secret. The secret is stored
/// encrypted with Data Protection; a device stays unconfirmed until the member typed a code from
/// it, and <see cref="LastUsedStep"/> makes every accepted code unusable a second time.
/// </summary>
public sealed class TotpDevice
{
    public Guid Id { get; set; } = Guid.NewGuid();

    public Guid MemberId { get; set; }

    public const int MaxNameLength = 50;

    /// <summary>デバイス名: the member's own label, optional.</summary>
    public string? Name { get; set; }

    /// <summary>
    /// Why a name the member typed cannot be kept (the text's resource key), or null when it can: too
    /// long, counted in characters as the member sees them and PostgreSQL stores them (code points,
    /// not UTF-16 units, which count an emoji twice); or with a control or invisible character.
    /// </summary>
    public static string? NameRefusal(string name) =>
        name.EnumerateRunes().Count() > MaxNameLength ? "OtpSetup.NameTooLong"
        : !Shared.PlainText.IsVisibleLine(name) ? "OtpSetup.NameNotPlain"
        : null;

    /// <summary>
    /// Whether another of the member's apps already has the name: the account page lists and asks
    /// to remove apps by name, and a member removing a lost phone must be able to tell which it is.
    /// Compared here, not by the database, whose lower() leaves full-width and accented capitals alone
    /// (SQLite; PostgreSQL under the C locale): "ＩＰＨＯＮＥ" from a Japanese keyboard is "iPhone" too.
    /// </summary>
    public static async Task<bool> NameTakenAsync(Persistence.KosmoDbContext db, Guid memberId, string name, Guid? except, CancellationToken cancellationToken)
    {
        var names = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(
            db.TotpDevices.Where(d => d.MemberId == memberId && d.ConfirmedAt != null && d.Id != except && d.Name != null).Select(d => d.Name!), cancellationToken);
        var wanted = Comparable(name);
        return names.Any(taken => string.Equals(Comparable(taken), wanted, StringComparison.OrdinalIgnoreCase));
    }

    private static string Comparable(string name) => name.Normalize(System.Text.NormalizationForm.FormKC);

    public required string ProtectedSecret { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? ConfirmedAt { get; set; }

    /// <summary>
    /// An unfinished setup put away by a new sign-in (TotpAuthenticator.ForgetUnfinishedSetupsAsync):
    /// never confirmed any more, kept only so that a code from an app that holds it is recognised
    /// and the member told to register the new key, rather than told the code is wrong.
    /// </summary>
    public DateTimeOffset? ReplacedAt { get; set; }

    /// <summary>The 30-second step of the last accepted code; only later steps are accepted.</summary>
    public long? LastUsedStep { get; set; }

    public DateTimeOffset? LastUsedAt { get; set; }
}
