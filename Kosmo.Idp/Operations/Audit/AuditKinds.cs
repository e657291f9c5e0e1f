namespace Kosmo.Idp.Operations.Audit;

/// <summary>The names audit events are stored and searched under.</summary>
public static class AuditKinds
{
    public const string SignInSucceeded = "sign-in.succeeded";
    public const string SignInFailed = "sign-in.failed";
    public const string SignInLockedOut = "sign-in.locked-out";
    public const string SignInRefusedLocked = "sign-in.refused-account-locked";
    public const string BirthDateConfirmed = "birthdate.confirmed";
    public const string BirthDateFailed = "birthdate.failed";
    public const string AccountLocked = "account.locked";
    public const string TermsAccepted = "terms.accepted";
    public const string TermsDeclined = "terms.declined";
    public const string EmailVerificationSent = "email.verification-sent";
    public const string EmailVerificationNotSent = "email.verification-not-sent";
    public const string EmailVerified = "email.verified";
    public const string EmailVerificationRefused = "email.verification-refused";
    public const string EmailVerificationCancelled = "email.verification-cancelled";
    public const string OtpMethodChosen = "otp-method.chosen";
    public const string InitialPasswordChoicesForgotten = "first-login.choices-forgotten";
    public const string PasswordChanged = "password.changed";
    public const string PasswordRefused = "password.refused";
    public const string OtpSent = "otp.sent";
    public const string OtpNotSent = "otp.not-sent";
    public const string OtpVerified = "otp.verified";
    public const string OtpFailed = "otp.failed";
    public const string OtpAlreadyUsed = "otp.already-used";
    public const string OtpLockedOut = "otp.locked-out";
    public const string AppDeviceAdded = "otp.app-device-added";
    public const string AppDeviceRemoved = "otp.app-device-removed";
    public const string AppDeviceRenamed = "otp.app-device-renamed";
    public const string EmailCodesTurnedOn = "otp.email-codes-on";
    public const string EmailCodesTurnedOff = "otp.email-codes-off";
    public const string RecoveryCodesIssued = "recovery-codes.issued";
    public const string RecoveryCodeUsed = "recovery-codes.used";
    public const string SignedOut = "sessions.signed-out";
    public const string SignedOutEverywhere = "sessions.signed-out-everywhere";
    public const string RosterMemberCreated = "roster.member-created";
    public const string RosterMemberUpdated = "roster.member-updated";
    public const string AccountUnlocked = "account.unlocked";
    public const string MfaReset = "mfa.reset";
    public const string PasswordReset = "password.reset";
    public const string ClientRegistered = "client.registered";
    public const string ClientUpdated = "client.updated";
    public const string ClientRemoved = "client.removed";
    public const string SigningKeyWithdrawn = "keys.signing-key-withdrawn";
    public const string KeyRotated = "keys.rotated";
}
