using System.Text;

namespace Kosmo.Idp.Members.Otp;

/// <summary>
/// A code as members type it: `066 474` (as Edge's extension shows it), `066-474`, full-width
/// `０６６４７４`. Returns the six ASCII digits, or null.
/// </summary>
public static class OtpCodeInput
{
    public static string? Normalize(string? typed)
    {
        if (string.IsNullOrWhiteSpace(typed) || typed.Length > 20)
        {
            return null;
        }

        var digits = new StringBuilder(6);
        foreach (var c in typed.Normalize(NormalizationForm.FormKC))
        {
            if (char.IsAsciiDigit(c))
            {
                digits.Append(c);
            }
            else if (c is not (' ' or '-' or '\u3000'))
            {
                return null;
            }
        }

        return digits.Length == 6 ? digits.ToString() : null;
    }
}
