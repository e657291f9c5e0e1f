using System.Text.Encodings.Web;
using Kosmo.Idp.Mail;

namespace Kosmo.Idp.Members.Otp;

/// <summary>Manual 2-1: the code on a line of its own, so it can be read at a glance or copied.</summary>
public static class EmailOtpMail
{
    public static MailMessage Create(string to, string subject, string code, TimeSpan lifetime)
    {
        var minutes = (int)lifetime.TotalMinutes;
        var text = $"""
            KOSMO Communication Web にログインするためのワンタイムパスワードをお知らせします。

            {code}

            有効期限は{minutes}分です。ログイン画面に入力してください。
            お心当たりのない場合は、このメールを破棄し、パスワードの変更をご検討ください。

            ----
            Your one-time password for signing in to KOSMO Communication Web is above.
            It is valid for {minutes} minutes. If you did not try to sign in, ignore this mail and consider changing your password.

            健康保険組合 KOSMO Web（このメールは送信専用です）
            """;
        var encoded = HtmlEncoder.Default.Encode(code);
        var html = $"""
            <!DOCTYPE html>
            <html lang="ja"><head><meta charset="utf-8"><title>{HtmlEncoder.Default.Encode(subject)}</title></head>
            <body style="font-family: sans-serif; line-height: 1.6;">
            <p>KOSMO Communication Web にログインするためのワンタイムパスワードをお知らせします。</p>
            <p style="font-size: 28px; font-weight: bold; letter-spacing: 4px;">{encoded}</p>
            <p>有効期限は{minutes}分です。ログイン画面に入力してください。<br>お心当たりのない場合は、このメールを破棄し、パスワードの変更をご検討ください。</p>
            <hr>
            <p lang="en">Your one-time password for signing in to KOSMO Communication Web is above. It is valid for {minutes} minutes.</p>
            <p>健康保険組合 KOSMO Web（このメールは送信専用です）</p>
            </body></html>
            """;
        return new MailMessage(to, subject, text, html);
    }
}
