using System.Text.Encodings.Web;

namespace Kosmo.Idp.Mail;

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
}

/// <summary>
/// Tells a member that their account changed, so a change they did not make or ask for is
/// noticed. Japanese first, English below. It never carries a password or code: the initial
/// password is only described by its rule.
/// </summary>
public static class MemberNoticeMail
{
    public const string Subject = "【KOSMOWeb】アカウントの設定が変更されました";

    private const string ContactJapanese = "この変更にお心当たりのない場合は、健康保険組合にお問い合わせください。";
    private const string ContactEnglish = "If you did not expect this change, please contact your health insurance society.";
    private const string Footer = "健康保険組合 KOSMO Web（このメールは送信専用です）";

    public static MailMessage Create(string to, MemberNotice notice)
    {
        var (japanese, english) = Body(notice);
        var text = string.Join("\n", japanese) + "\n" + ContactJapanese + "\n\n----\n"
            + string.Join("\n", english) + "\n" + ContactEnglish + "\n\n" + Footer + "\n";

        var encode = HtmlEncoder.Default;
        var html = $"""
            <!DOCTYPE html>
            <html lang="ja"><head><meta charset="utf-8"><title>{Subject}</title></head>
            <body style="font-family: sans-serif; line-height: 1.6;">
            <p>{string.Join("<br>", japanese.Select(encode.Encode))}</p>
            <p>{encode.Encode(ContactJapanese)}</p>
            <hr>
            <p lang="en">{string.Join("<br>", english.Select(encode.Encode))}<br>{encode.Encode(ContactEnglish)}</p>
            <p>{Footer}</p>
            </body></html>
            """;
        return new MailMessage(to, Subject, text, html);
    }

    private static (string[] Japanese, string[] English) Body(MemberNotice notice) => notice switch
    {
        MemberNotice.Unlocked => (
            [
                "健康保険組合が、KOSMO Web のアカウントのロックを解除しました。",
                "ユーザIDとパスワードで、もう一度ログインできます。",
            ],
            [
                "Your health insurance society has unlocked your KOSMO Web account.",
                "You can log in again with your user ID and password.",
            ]),
        MemberNotice.MfaReset => (
            [
                "健康保険組合が、KOSMO Web のワンタイムパスワードの認証方法（メール・認証アプリ・リカバリーコード）をリセットしました。",
                "すべての端末でログアウトされています。",
                "次回ログイン時に認証方法を設定し直してください。",
            ],
            [
                "Your health insurance society has reset your one-time-password method on KOSMO Web (mail, authenticator apps, recovery codes).",
                "You have been logged out on every device.",
                "Please set up the method again at your next login.",
            ]),
        MemberNotice.PasswordReset => (
            [
                "健康保険組合が、KOSMO Web のパスワードを初期パスワードに戻しました。",
                "すべての端末でログアウトされています。",
                "次回ログイン時は 記号+番号+生年月日 の初期パスワードでログインしてください（例: 記号 123、番号 4567、生年月日 1984年10月7日 なら 123456719841007）。",
                "ログイン後に、新しいパスワードを設定していただきます。",
            ],
            [
                "Your health insurance society has reset your KOSMO Web password to the initial one.",
                "You have been logged out on every device.",
                "At your next login, use the initial password: 記号 (symbol) + 番号 (number) + birthdate as YYYYMMDD (for example 123 + 4567 + 1984-10-07 gives 123456719841007).",
                "You will then choose a new password.",
            ]),
        MemberNotice.PasswordChanged => (
            [
                "KOSMO Web のパスワードが変更されました（アカウント設定画面から）。",
            ],
            [
                "Your KOSMO Web password was changed (on the account page).",
            ]),
        MemberNotice.EmailChanged => (
            [
                "KOSMO Web に登録されたメールアドレスが、別のアドレスに変更されました。",
                "今後のお知らせとワンタイムパスワードは新しいアドレスに届きます。",
            ],
            [
                "The email address registered on KOSMO Web was changed to another address.",
                "Notices and one-time passwords now go to the new address.",
            ]),
        MemberNotice.AuthenticatorAdded => (
            [
                "KOSMO Web のワンタイムパスワードに、認証アプリ（端末）が追加されました。",
            ],
            [
                "An authenticator app (device) was added for your KOSMO Web one-time passwords.",
            ]),
        MemberNotice.AuthenticatorRemoved => (
            [
                "KOSMO Web のワンタイムパスワードから、認証アプリ（端末）が削除されました（アカウント設定画面から）。",
            ],
            [
                "An authenticator app (device) was removed from your KOSMO Web one-time passwords (on the account page).",
            ]),
        MemberNotice.EmailCodesOn => (
            [
                "KOSMO Web のワンタイムパスワードを、このメールアドレスでも受け取れるようにしました（アカウント設定画面から）。",
            ],
            [
                "KOSMO Web one-time passwords can now also be sent to this address (turned on on the account page).",
            ]),
        MemberNotice.EmailCodesOff => (
            [
                "KOSMO Web のワンタイムパスワードをメールで受け取る設定をオフにしました（アカウント設定画面から）。",
                "今後のログインでは認証アプリを使ってください。",
            ],
            [
                "One-time passwords by mail were turned off for your KOSMO Web account (on the account page).",
                "Use your authenticator app at your next logins.",
            ]),
        MemberNotice.SignedOutByOperator => (
            [
                "健康保険組合が、KOSMO Web のすべての端末からあなたをログアウトしました。",
                "ユーザIDとパスワードで、もう一度ログインできます。",
            ],
            [
                "Your health insurance society has logged you out of KOSMO Web on every device.",
                "You can log in again with your user ID and password.",
            ]),
        _ => throw new ArgumentOutOfRangeException(nameof(notice), notice, null),
    };
}
