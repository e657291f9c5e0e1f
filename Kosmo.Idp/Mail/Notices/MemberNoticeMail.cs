
namespace Kosmo.Idp.Mail.Notices;

/// <summary>A change to a member's account that the member is told about: by the society's operator, or on the account page.</summary>
public enum MemberNotice
{
    Unlocked,
    MfaReset,
    PasswordReset,
    PasswordChanged,
    EmailChanged,
    AuthenticatorAdded,
    AuthenticatorRemoved,
    EmailCodesOn,
    EmailCodesOff,
    SignedOutByOperator,
    LockedByOperator,
    RecoveryCodesReplaced,
    SignedInWithRecoveryCode,

    /// <summary>A first set, issued to a member who already signs in with a second factor (not the set that completes enrolment).</summary>
    RecoveryCodesIssued,

    /// <summary>Second-factor tries paused after the right password: whoever knows the password may not be the member.</summary>
    WrongOneTimePasswords,
}

/// <summary>
/// Tells a member that their account changed, so a change they did not make or ask for is
/// noticed. It never carries a password or code: the initial password is only described by its
/// rule. The texts are the resources Mail.Notice.{notice}; each says when (Japan time), so a member
/// who reads it later can tell it from their own doings.
/// </summary>
public static class MemberNoticeMail
{
    /// <summary>
    /// One beginning for every notice (【KOSMOWeb】アカウントのお知らせ), which the member guide tells
    /// members to look out for, and what happened in brackets, so the inbox says it and a mail
    /// client does not fold different notices into one thread.
    /// </summary>
    public static string SubjectOf(MemberNotice notice) =>
        MailText.Of("Mail.Notice.Subject", MailText.Of($"Mail.Notice.{notice}.Subject").Japanese).Japanese;

    /// <param name="society">How to reach the society, when configured: said after the request to contact it.</param>
    public static MailMessage Create(string to, MemberNotice notice, DateTimeOffset at, Shared.SocietyContactOptions? society = null)
    {
        var subject = SubjectOf(notice);
        var body = MailText.Of("Mail.Notice." + notice);
        var when = MailText.Of("Mail.Notice.When", Localization.SocietyTime.Minute(at));
        // A sign-in (or a try at one) is no change, and whoever made it had the password: those notices say what to do.
        var contact = MailText.Of(notice is MemberNotice.SignedInWithRecoveryCode or MemberNotice.WrongOneTimePasswords
            ? "Mail.Notice.SignedInWithRecoveryCode.Contact" : "Mail.Notice.Contact");
        if (society?.Japanese is { } reach)
        {
            contact = new MailText(
                contact.Japanese + "\n" + MailText.Of("Mail.Notice.ContactAt", reach).Japanese,
                contact.English + "\n" + MailText.Of("Mail.Notice.ContactAt", society.English!).English);
        }

        var footer = MailText.Of("Mail.Footer");
        var text = body.Japanese + "\n" + when.Japanese + "\n" + contact.Japanese
            + "\n\n----\n" + body.English + "\n" + when.English + "\n" + contact.English
            + "\n\n" + footer.Japanese + "\n" + footer.English + "\n";

        var encode = MailText.Html;
        string Lines(string value) => string.Join("<br>", value.Split('\n').Select(encode.Encode));
        string MarkedLines(string value) => string.Join("<br>", value.Split('\n').Select(Shared.JapaneseRuns.Marked));
        var html = $"""
            <!DOCTYPE html>
            <html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{encode.Encode(subject)}</title></head>
            <body style="font-family: sans-serif; line-height: 1.6;">
            <p>{Lines(body.Japanese)}</p>
            <p>{encode.Encode(when.Japanese)}<br>{Lines(contact.Japanese)}</p>
            <hr>
            <p lang="en">{MarkedLines(body.English)}<br>{encode.Encode(when.English)}<br>{MarkedLines(contact.English)}</p>
            <p>{encode.Encode(footer.Japanese)}<br><span lang="en">{encode.Encode(footer.English)}</span></p>
            </body></html>
            """;
        return new MailMessage(to, subject, text, html, MailCategories.AccountNotice);
    }
}
