using Kosmo.Idp.Mail;

namespace Kosmo.Idp.Journey.Email;

/// <summary>
/// The verification mail. A first registration sends the member back to the journey's page and its
/// 更新 button (manual step 7); a change made on the account page has no such button, and says so.
/// The button is a table cell's colour, not a styled link: Outlook's Word engine drops a link's
/// padding and background, and the address below it stays for clients that show no button at all.
/// </summary>
public static class EmailVerificationMail
{
    public static MailMessage Create(string to, string link, DateTimeOffset expiresAt, bool changingAddress)
    {
        var subject = MailText.Of("Mail.Verify.Subject").Japanese;
        var what = MailText.Of(changingAddress ? "Mail.Verify.Changing" : "Mail.Verify.Registered");
        var then = MailText.Of(changingAddress ? "Mail.Verify.ThenChanged" : "Mail.Verify.ThenRefresh");
        var open = MailText.Of("Mail.Verify.OpenLink");
        var lasts = MailText.Of("Mail.Verify.Lifetime", Localization.SocietyTime.Minute(expiresAt));
        var notYou = MailText.Of("Mail.NotYou");
        var footer = MailText.Of("Mail.Footer");
        var text = $"""
            {what.Japanese}
            {open.Japanese}

            {link}

            {lasts.Japanese}
            {then.Japanese}
            {notYou.Japanese}

            ----
            {what.English} {open.English}
            {lasts.English} {then.English}
            {notYou.English}

            {footer.Japanese}
            {footer.English}

            """;

        var encode = MailText.Html;
        var href = encode.Encode(link);
        var press = MailText.Of("Mail.Verify.PressButton");
        var paste = MailText.Of("Mail.Verify.Paste");
        var html = $"""
            <!DOCTYPE html>
            <html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{encode.Encode(subject)}</title></head>
            <body style="font-family: sans-serif; line-height: 1.6;">
            <p>{encode.Encode(what.Japanese)}<br>{encode.Encode(press.Japanese)}</p>
            <table role="presentation" cellspacing="0" cellpadding="0" border="0" style="margin:1em 0;"><tr><td bgcolor="#0b5cad" style="background-color:#0b5cad;border-radius:4px;"><a href="{href}" style="display:inline-block;padding:12px 20px;color:#ffffff;text-decoration:none;font-weight:bold;">{encode.Encode(MailText.Of("Mail.Verify.Button").Japanese)}</a></td></tr></table>
            <p>{encode.Encode(paste.Japanese)}<br><span style="word-break:break-all;">{href}</span></p>
            <p>{encode.Encode(lasts.Japanese)}{encode.Encode(then.Japanese)}<br>{encode.Encode(notYou.Japanese)}</p>
            <hr>
            <p lang="en">{encode.Encode(what.English)} {Shared.JapaneseRuns.Marked(press.English)} {encode.Encode(paste.English)} {encode.Encode(lasts.English)} {encode.Encode(then.English)} {encode.Encode(notYou.English)}</p>
            <p>{encode.Encode(footer.Japanese)}<br><span lang="en">{encode.Encode(footer.English)}</span></p>
            </body></html>
            """;
        return new MailMessage(to, subject, text, html, MailCategories.EmailVerification);
    }
}
