namespace Kosmo.Idp.Members;

/// <summary>
/// A member of the society who signs in here: the roster's record of them, their credentials,
/// and how far they are through the first-login journey. Which journey step comes next is not
/// decided here but in <see cref="Journey.MemberJourney"/>, from these columns.
/// </summary>
public sealed class Member
{
    public Guid Id { get; set; } = Guid.NewGuid();

    /// <summary>The login name printed on the member's notice; unique, compared case-insensitively.</summary>
    public required string UserId { get; set; }

    /// <summary><see cref="UserId"/> upper-cased, so lookups hit a unique index on every database.</summary>
    public string NormalizedUserId { get; set; } = "";

    public string? DisplayName { get; set; }

    /// <summary>記号: the insurance card's symbol, from the roster.</summary>
    public string? Symbol { get; set; }

    /// <summary>番号: the insurance card's number, from the roster.</summary>
    public string? Number { get; set; }

    public DateOnly? BirthDate { get; set; }

    public DateOnly? JoinedOn { get; set; }

    /// <summary>An address the society holds for the member; only offered as a suggestion until the member verifies one.</summary>
    public string? RosterEmail { get; set; }

    /// <summary>
    /// Self-describing hash (algorithm and parameters inside it), see <see cref="PasswordHashing"/>.
    /// Null while the member still has the roster-rule initial password (記号+番号+生年月日): that
    /// password is derived from columns stored beside it, so a hash of it would protect nothing,
    /// and not hashing it keeps a 100 000-member roster load fast.
    /// </summary>
    public string? PasswordHash { get; set; }

    /// <summary>True while the member still holds a password they did not choose.</summary>
    public bool PasswordMustChange { get; set; }

    public DateTimeOffset? PasswordChangedAt { get; set; }

    /// <summary>The latest correct password at the login page (this sign-in, once the member is in).</summary>
    public DateTimeOffset? LastSignInAt { get; set; }

    /// <summary>The one before: shown on the account page, so a sign-in the member did not make is noticed.</summary>
    public DateTimeOffset? PreviousSignInAt { get; set; }

    public DateTimeOffset? BirthDateConfirmedAt { get; set; }

    /// <summary>Wrong birthdates typed since the last correct one; reaching the limit locks the account.</summary>
    public int BirthDateFailures { get; set; }

    /// <summary>Which wrong birthdate which sign-in sent last, as a digest (Journey.BirthDate.RepeatedWrongBirthDate).</summary>
    public string? WrongBirthDateStamp { get; set; }

    /// <summary>Set when the account is locked until an operator unlocks it (not the temporary sign-in lockout).</summary>
    public DateTimeOffset? LockedAt { get; set; }

    public MemberLockReason? LockReason { get; set; }

    public string? AcceptedTermsVersion { get; set; }

    public DateTimeOffset? TermsAcceptedAt { get; set; }

    /// <summary>The verified address; null until the member opened a verification link.</summary>
    public string? Email { get; set; }

    public DateTimeOffset? EmailVerifiedAt { get; set; }

    /// <summary>The one-time-password method the member chose on the method page.</summary>
    public OtpMethod? OtpMethod { get; set; }

    /// <summary>Set when the member first signed in with a mailed one-time password.</summary>
    public DateTimeOffset? EmailOtpEnabledAt { get; set; }

    /// <summary>Set while the member has at least one confirmed authenticator app.</summary>
    public DateTimeOffset? AppOtpEnabledAt { get; set; }

    /// <summary>When the member confirmed they kept the current set of recovery codes.</summary>
    public DateTimeOffset? RecoveryCodesSavedAt { get; set; }

    /// <summary>
    /// The session that asked for a new set of recovery codes (the account page, or a sign-in with one
    /// of the last codes), as a stamp: see Journey/Recovery/AskedRecoveryCodes. Null when the set is
    /// part of enrolling, which any recent sign-in shows.
    /// </summary>
    public string? RecoveryCodesAskedBy { get; set; }

    public DateTimeOffset? RecoveryCodesAskedAt { get; set; }

    /// <summary>
    /// Raised to end every session of the member at once (sign out everywhere, an operator's
    /// reset): a session made under an older value is treated as signed out.
    /// </summary>
    public int SessionVersion { get; set; }

    /// <summary>
    /// The sign-in (session and password time) that last passed a form that signs the browser in
    /// again (a one-time password, a new password, signing out the other devices), when, and with
    /// which second factor: the same form sent twice (a double click) is answered as the first one
    /// was, for that sign-in only (Journey.RepeatedForm).
    /// </summary>
    public string? CodeSessionId { get; set; }

    public DateTimeOffset? CodeSessionAt { get; set; }

    public string? CodeSessionMethod { get; set; }

    /// <summary>The session version the passing request left (a sign-out everywhere it did raises it).</summary>
    public int? CodeSessionVersion { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? UpdatedAt { get; set; }

    public bool IsLocked => LockedAt is not null;

    /// <summary>Once true, every login asks for a one-time password right after the password.</summary>
    public bool HasSecondFactor => EmailOtpEnabledAt is not null || AppOtpEnabledAt is not null;

    /// <summary>
    /// Back to the method choice, while no method is in use yet (the app not set up, no mailed code
    /// typed): false, changing nothing, once one is. Saved by the caller.
    /// </summary>
    public bool ReopenMethodChoice(DateTimeOffset now)
    {
        if (HasSecondFactor)
        {
            return false;
        }

        OtpMethod = null;
        UpdatedAt = now;
        return true;
    }

    /// <summary>The form user IDs are compared in: a Japanese IME's full-width letters and digits (ＫＯ０１) count as the ASCII ones.</summary>
    public static string Normalize(string userId) => userId.Normalize(System.Text.NormalizationForm.FormKC).Trim().ToUpperInvariant();
}
