using System.Net.Mail;
using System.Text;

namespace Kosmo.Idp.Journey.Email;

/// <summary>Accepts an address typed with a Japanese IME (full-width ＠ and letters) and refuses what no mail server would take.</summary>
public static class EmailAddressInput
{
    public static string? Normalize(string? typed)
    {
        if (string.IsNullOrWhiteSpace(typed))
        {
            return null;
        }

        var text = typed.Normalize(NormalizationForm.FormKC).Trim();
        if (text.Length > 254 || text.Any(char.IsWhiteSpace)
            || !MailAddress.TryCreate(text, out var address) || address.Address != text || address.DisplayName.Length > 0)
        {
            return null;
        }

        // A host name with a dot: no address literal ([127.0.0.1]), nothing a mail provider would refuse
        // to send to. Printable ASCII only: addresses with other characters need SMTPUTF8 all the way to
        // the inbox. No quoted local part ("a<b>c"@…): no mailbox provider hands one out, and a mail
        // provider that refuses it would leave the member told to retry rather than to check the address.
        return text.All(c => c is > ' ' and < '\x7f') && !address.User.StartsWith('"') && IsHostName(address.Host) ? text : null;
    }

    /// <summary>
    /// At least two labels of letters, digits and inner hyphens (RFC 1123 2.1), the last not all digits:
    /// a typo such as `-example.jp` or `exam_ple.jp` is named at once, before a mail that can never arrive
    /// uses one of the member's sends.
    /// </summary>
    private static bool IsHostName(string domain)
    {
        var labels = domain.Split('.');
        return domain.Length <= 253 && labels.Length >= 2
            && labels.All(label => label.Length is >= 1 and <= 63 && label[0] != '-' && label[^1] != '-' && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            && !labels[^1].All(char.IsAsciiDigit);
    }
}
