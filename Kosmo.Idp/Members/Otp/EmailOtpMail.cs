using Kosmo.Idp.Mail;

namespace Kosmo.Idp.Members.Otp;

/// <summary>
/// Manual 2-1: the code on a line of its own, so it can be read at a glance or copied. Its expiry
/// is said as a clock time in Japan too: a mail read late says whether its code still works.
/// </summary>
public static class EmailOtpMail
{
    public static MailMessage Create(string to, string subject, string code, TimeSpan lifetime, DateTimeOffset expiresAt)
    {
        var intro = MailText.Of("Mail.Otp.Intro");
        var lasts = MailText.Of("Mail.Otp.Lifetime", (int)lifetime.TotalMinutes, Localization.SocietyTime.Minute(expiresAt));
        var notYou = MailText.Of("Mail.Otp.NotYou");
        var footer = MailText.Of("Mail.Footer");
        var text = $"""
            {intro.Japanese}

            {code}

            {lasts.Japanese}
            {notYou.Japanese}

            ----
            {intro.English}
            {lasts.English} {notYou.English}

            {footer.Japanese}
            {footer.English}

            """;
        var encode = MailText.Html;
        var html = $"""
            <!DOCTYPE html>
            <html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{encode.Encode(subject)}</title></head>
            <body style="font-family: sans-serif; line-height: 1.6;">
            <p>{encode.Encode(intro.Japanese)}</p>
            <p style="font-size: 28px; font-weight: bold; letter-spacing: 4px;">{encode.Encode(code)}</p>
            <p>{encode.Encode(lasts.Japanese)}<br>{encode.Encode(notYou.Japanese)}</p>
            <hr>
            <p lang="en">{encode.Encode(intro.English)} {encode.Encode(lasts.English)} {encode.Encode(notYou.English)}</p>
            <p>{encode.Encode(footer.Japanese)}<br><span lang="en">{encode.Encode(footer.English)}</span></p>
            </body></html>
            """;
        return new MailMessage(to, subject, text, html, MailCategories.OneTimePassword);
    }
}
