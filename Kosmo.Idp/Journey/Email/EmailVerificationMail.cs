using System.Text.Encodings.Web;
using Kosmo.Idp.Mail;

namespace Kosmo.Idp.Journey.Email;

/// <summary>
/// The verification mail: Japanese first (the society's language), English below it. A first
/// registration sends the member back to the journey's page and its 更新 button (manual step 7);
/// a change made on the account page has no such button, and says so.
/// </summary>
public static class EmailVerificationMail
{
    public const string Subject = "【KOSMOWeb】メールアドレス確認のお願い";

    public static MailMessage Create(string to, string link, TimeSpan lifetime, bool changingAddress)
    {
        var minutes = (int)lifetime.TotalMinutes;
        var (whatJapanese, whatEnglish) = changingAddress
            ? ("KOSMO Web のメールアドレスを、このアドレスに変更する手続きが行われました。", "A change of your KOSMO Web email address to this address was requested.")
            : ("KOSMO Web にメールアドレスが登録されました。", "An email address was registered on KOSMO Web.");
        var (thenJapanese, thenEnglish) = changingAddress
            ? ("確認が終わると、新しいアドレスに切り替わります。", "Once you have confirmed it, the new address is used.")
            : ("確認が終わったら、元の画面に戻り「更新」を押してください。", "Then go back to the original page and press \"Refresh\".");
        var text = $"""
            {whatJapanese}
            下のリンクを開いて、メールアドレスの確認を完了してください。

            {link}

            このリンクの有効期限は{minutes}分です。一度だけ使用できます。
            {thenJapanese}
            お心当たりのない場合は、このメールを破棄してください。

            ----
            {whatEnglish} Open the link above to confirm it.
            The link works once, for {minutes} minutes. {thenEnglish}
            If this was not you, ignore this mail.

            健康保険組合 KOSMO Web（このメールは送信専用です）
            """;

        var encode = HtmlEncoder.Default;
        var href = encode.Encode(link);
        var html = $"""
            <!DOCTYPE html>
            <html lang="ja"><head><meta charset="utf-8"><title>{Subject}</title></head>
            <body style="font-family: sans-serif; line-height: 1.6;">
            <p>{encode.Encode(whatJapanese)}<br>下のボタンを押して、メールアドレスの確認を完了してください。</p>
            <p><a href="{href}" style="display:inline-block;padding:12px 20px;background:#0b5cad;color:#ffffff;text-decoration:none;border-radius:4px;">メールアドレスを確認する</a></p>
            <p>ボタンが押せない場合は、次のアドレスをブラウザに貼り付けてください。<br><span style="word-break:break-all;">{href}</span></p>
            <p>このリンクの有効期限は{minutes}分です。一度だけ使用できます。{encode.Encode(thenJapanese)}<br>お心当たりのない場合は、このメールを破棄してください。</p>
            <hr>
            <p lang="en">{encode.Encode(whatEnglish)} Press the button to confirm it. The link works once, for {minutes} minutes. {encode.Encode(thenEnglish)} If this was not you, ignore this mail.</p>
            <p>健康保険組合 KOSMO Web（このメールは送信専用です）</p>
            </body></html>
            """;
        return new MailMessage(to, Subject, text, html);
    }
}
