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

        var domain = address.Host;
        return domain.Contains('.') && !domain.StartsWith('.') && !domain.EndsWith('.') ? text : null;
    }
}
