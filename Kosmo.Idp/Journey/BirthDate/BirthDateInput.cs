using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Kosmo.Idp.Journey.BirthDate;

/// <summary>
/// Reads a birthdate the way members type it: 19841007, 1984/10/07, 1984-10-7, 1984年10月7日,
/// with full-width digits (全角) too, with the dashes a Japanese keyboard gives (ー, −), and in
/// the Japanese era many members think in (昭和59年10月7日, S59.10.7, 平成元年1月8日).
/// </summary>
public static partial class BirthDateInput
{
    /// <summary>The eras a living member's birthdate falls in, with the day each began.</summary>
    private static readonly (string Name, char Letter, DateOnly Start)[] Eras =
    [
        ("明治", 'M', new DateOnly(1868, 10, 23)),
        ("大正", 'T', new DateOnly(1912, 7, 30)),
        ("昭和", 'S', new DateOnly(1926, 12, 25)),
        ("平成", 'H', new DateOnly(1989, 1, 8)),
        ("令和", 'R', new DateOnly(2019, 5, 1)),
    ];

    public static DateOnly? Parse(string? typed)
    {
        if (string.IsNullOrWhiteSpace(typed))
        {
            return null;
        }

        // NFKC turns full-width digits, letters and separators into ASCII ones (and ㍼ into 昭和);
        // the dashes it leaves alone are read as the hyphen they were meant as.
        var text = Dashes().Replace(typed.Normalize(NormalizationForm.FormKC).Trim(), "-");
        if (Western().Match(text) is { Success: true } western)
        {
            return DateOf(Number(western, "y"), Number(western, "m"), Number(western, "d"));
        }

        if (Japanese().Match(text) is not { Success: true } japanese)
        {
            return null;
        }

        var eraText = japanese.Groups["era"].Value;
        var era = Array.FindIndex(Eras, e => e.Name == eraText || char.ToUpperInvariant(eraText[0]) == e.Letter && eraText.Length == 1);
        var yearOfEra = japanese.Groups["n"].Value == "元" ? 1 : Number(japanese, "n");
        if (era < 0 || yearOfEra < 1 || DateOf(Eras[era].Start.Year + yearOfEra - 1, Number(japanese, "m"), Number(japanese, "d")) is not { } date)
        {
            return null;
        }

        // 昭和64年1月8日 did not exist: that day was 平成元年.
        var next = era + 1 < Eras.Length ? Eras[era + 1].Start : DateOnly.MaxValue;
        return date >= Eras[era].Start && date < next ? date : null;
    }

    private static DateOnly? DateOf(int year, int month, int day) =>
        month is >= 1 and <= 12 && year >= 1900 && year <= 9999 && day >= 1 && day <= DateTime.DaysInMonth(year, month)
            ? new DateOnly(year, month, day)
            : null;

    private static int Number(Match match, string group) => int.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture);

    // [0-9], not \d: \d also matches other scripts' digits (١٩٨٤), which NFKC leaves as they are.
    [GeneratedRegex(@"^(?<y>[0-9]{4})(?:(?<m>[0-9]{2})(?<d>[0-9]{2})|[/\-.年 ] ?(?<m>[0-9]{1,2}) ?[/\-.月 ] ?(?<d>[0-9]{1,2})日?)$")]
    private static partial Regex Western();

    [GeneratedRegex(@"^(?<era>明治|大正|昭和|平成|令和|[MTSHRmtshr]) ?(?<n>[0-9]{1,2}|元) ?[/\-.年 ] ?(?<m>[0-9]{1,2}) ?[/\-.月 ] ?(?<d>[0-9]{1,2})日?$")]
    private static partial Regex Japanese();

    // The katakana long-vowel mark (a Japanese keyboard's "-"), the minus sign and the Unicode hyphens and dashes.
    [GeneratedRegex("[ー−‐‑‒–—―ｰ]")]
    private static partial Regex Dashes();
}
