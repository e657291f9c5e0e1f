using System.Text.Encodings.Web;
using Kosmo.Idp.Mail;

namespace Kosmo.Idp.Journey.Email;

/// <summary>The verification mail: Japanese first (the society's language), English below it.</summary>
public static class EmailVerificationMail
{
    public const string Subject = "【KOSMOWeb】メールアドレス確認のお願い";

    public static MailMessage Create(string to, string link, TimeSpan lifetime)
    {
        var minutes = (int)lifetime.TotalMinutes;
        var text = $"""
            KOSMO Web にメールアドレスが登録されました。
            下のリンクを開いて、メールアドレスの確認を完了してください。

            {link}

            このリンクの有効期限は{minutes}分です。一度だけ使用できます。
            確認が終わったら、元の画面に戻り「更新」を押してください。
            お心当たりのない場合は、このメールを破棄してください。

            ----
            An email address was registered on KOSMO Web. Open the link above to confirm it.
            The link works once, for {minutes} minutes. Then go back to the original page and press "Refresh".
            If this was not you, ignore this mail.

            健康保険組合 KOSMO Web（このメールは送信専用です）
            """;

        var href = HtmlEncoder.Default.Encode(link);
        var html = $"""
            <!DOCTYPE html>
            <html lang="ja"><head><meta charset="utf-8"><title>{Subject}</title></head>
            <body style="font-family: sans-serif; line-height: 1.6;">
            <p>KOSMO Web にメールアドレスが登録されました。<br>下のボタンを押して、メールアドレスの確認を完了してください。</p>
            <p><a href="{href}" style="display:inline-block;padding:12px 20px;background:#0b5cad;color:#ffffff;text-decoration:none;border-radius:4px;">メールアドレスを確認する</a></p>
            <p>ボタンが押せない場合は、次のアドレスをブラウザに貼り付けてください。<br><span style="word-break:break-all;">{href}</span></p>
            <p>このリンクの有効期限は{minutes}分です。一度だけ使用できます。確認が終わったら、元の画面に戻り「更新」を押してください。<br>お心当たりのない場合は、このメールを破棄してください。</p>
            <hr>
            <p lang="en">An email address was registered on KOSMO Web. Press the button to confirm it. The link works once, for {minutes} minutes. Then go back to the original page and press "Refresh". If this was not you, ignore this mail.</p>
            <p>健康保険組合 KOSMO Web（このメールは送信専用です）</p>
            </body></html>
            """;
        return new MailMessage(to, Subject, text, html);
    }
}
