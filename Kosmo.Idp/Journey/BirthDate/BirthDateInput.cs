using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Kosmo.Idp.Journey.BirthDate;

/// <summary>
/// Reads a birthdate the way members type it: 19841007, 1984/10/07, 1984-10-7, 1984年10月7日,
/// with full-width digits (全角) too.
/// </summary>
public static partial class BirthDateInput
{
    public static DateOnly? Parse(string? typed)
    {
        if (string.IsNullOrWhiteSpace(typed))
        {
            return null;
        }

        // NFKC turns full-width digits and separators into ASCII ones.
        var text = typed.Normalize(NormalizationForm.FormKC).Trim();
        var match = Pattern().Match(text);
        if (!match.Success)
        {
            return null;
        }

        var year = int.Parse(match.Groups["y"].Value, CultureInfo.InvariantCulture);
        var month = int.Parse(match.Groups["m"].Value, CultureInfo.InvariantCulture);
        var day = int.Parse(match.Groups["d"].Value, CultureInfo.InvariantCulture);
        return month is >= 1 and <= 12 && year >= 1900 && day >= 1 && day <= DateTime.DaysInMonth(year, month)
            ? new DateOnly(year, month, day)
            : null;
    }

    // [0-9], not \d: \d also matches other scripts' digits (١٩٨٤), which NFKC leaves as they are.
    [GeneratedRegex(@"^(?<y>[0-9]{4})(?:(?<m>[0-9]{2})(?<d>[0-9]{2})|[/\-.年 ](?<m>[0-9]{1,2})[/\-.月 ](?<d>[0-9]{1,2})日?)$")]
    private static partial Regex Pattern();
}
