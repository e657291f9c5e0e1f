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
        // the inbox, and a control character (which a quoted local part lets through) no server takes.
        var domain = address.Host;
        return text.All(c => c is > ' ' and < '\x7f') && domain.Contains('.') && !domain.StartsWith('.') && !domain.EndsWith('.') && !domain.StartsWith('[')
            ? text : null;
    }
}
