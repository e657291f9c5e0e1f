namespace Kosmo.Idp.Mail;

/// <summary>
/// A mail to one member, with a plain-text body for every client and an HTML body for those that
/// show it. The category (<see cref="MailCategories"/>) names the kind of mail in the provider's statistics.
/// </summary>
public sealed record MailMessage(string To, string Subject, string Text, string Html, string Category);

/// <summary>The kinds of mail, as SendGrid's statistics and bounce lists show them.</summary>
public static class MailCategories
{
    public const string OneTimePassword = "one-time-password";
    public const string EmailVerification = "email-verification";
    public const string AccountNotice = "account-notice";
}
