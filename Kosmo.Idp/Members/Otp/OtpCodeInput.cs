using System.Text;

namespace Kosmo.Idp.Members.Otp;

/// <summary>
/// A code as members type it: `066 474` (as Edge's extension shows it), `066-474`, `066ー474`,
/// full-width `０６６４７４`. Returns the six ASCII digits, or null.
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
            else if (!IsSeparator(c))
            {
                return null;
            }
        }

        return digits.Length == 6 ? digits.ToString() : null;
    }

    /// <summary>
    /// Any white space or any of the dashes members' keyboards make: a Japanese IME in kana mode
    /// types ー (U+30FC) or ‐ (U+2010) for the hyphen key, and a minus sign or dash comes with a
    /// paste, as do a tab or line break after the code and invisible format characters (a
    /// zero-width space, a soft hyphen) from a mail or chat app. Full-width spaces and hyphens are
    /// already plain ones after NFKC.
    /// </summary>
    public static bool IsSeparator(char c) =>
        char.IsWhiteSpace(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format
        || c is '-' or '\u2010' or '\u2011' or '\u2012' or '\u2013' or '\u2014' or '\u2015' or '\u2212' or '\u30FC';
}
