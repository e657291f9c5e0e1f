using Kosmo.Idp.Members;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Kosmo.Idp.Operations.Roster;

/// <summary>
/// Checks each roster line on its own and against the lines before it. Every problem of a line
/// is reported, so the office can fix a file in one pass.
/// </summary>
public static partial class RosterRowValidation
{
    public const int MaxUserIdLength = 64;
    public const int MaxNameLength = 200;
    public const int MaxCodeLength = 16;
    public const int MaxEmailLength = 254;

    private static readonly DateOnly EarliestBirthDate = new(1900, 1, 1);

    private static readonly string[] DateFormats = ["yyyy-MM-dd", "yyyy/MM/dd", "yyyyMMdd", "yyyy/M/d"];

    /// <param name="malformed">Lines the CSV reader could not split into a member: the user IDs they name count too.</param>
    public static (List<RosterEntry> Valid, List<RosterRejection> Rejected) Validate(
        IReadOnlyList<RosterRow> rows, DateOnly today, IReadOnlyList<RosterRejection>? malformed = null)
    {
        var valid = new List<RosterEntry>();
        var rejected = new List<RosterRejection>();
        // Every line that names a user ID counts, valid or not: a second line for a member whose first
        // line was refused must not load as if it were the only one.
        var firstLineOf = rows.Select(row => (row.Line, Id: NormalizedUserIdOf(row.UserId)))
            .Concat((malformed ?? []).Select(rejection => (rejection.Line, Id: rejection.NormalizedUserId)))
            .Where(line => line.Id is not null)
            .GroupBy(line => line.Id!, StringComparer.Ordinal)
            .ToDictionary(group => group.Key, group => group.Min(line => line.Line), StringComparer.Ordinal);
        foreach (var row in rows)
        {
            var reasons = new List<string>();
            var entry = Check(row, today, reasons);
            var normalized = NormalizedUserIdOf(row.UserId);
            if (normalized is not null && firstLineOf[normalized] is var first && first != row.Line)
            {
                reasons.Add($"duplicate user ID {row.UserId!.Trim()} (first on line {first})");
            }

            if (reasons.Count > 0)
            {
                rejected.Add(new RosterRejection(row.Line, string.Join("; ", reasons), normalized));
            }
            else
            {
                valid.Add(entry!);
            }
        }

        return (valid, rejected);
    }

    public static string? NormalizedUserIdOf(string? userId) => string.IsNullOrWhiteSpace(userId) ? null : Member.Normalize(userId.Trim());

    private static RosterEntry? Check(RosterRow row, DateOnly today, List<string> reasons)
    {
        var userId = Required(row.UserId, "user_id", reasons);
        if (userId is not null)
        {
            if (userId.Length > MaxUserIdLength)
            {
                reasons.Add($"user ID longer than {MaxUserIdLength} characters");
            }

            if (userId.Any(char.IsWhiteSpace))
            {
                reasons.Add("user ID contains a space");
            }
            else if (Shared.PlainText.FirstInvisible(userId) is { } invisible)
            {
                reasons.Add($"user ID contains an invisible or control character (U+{(int)invisible:X4})");
            }

            if (StartsLikeAFormula(userId))
            {
                reasons.Add($"user ID starts with {userId[0]}");
            }
        }

        var symbol = Code(row.Symbol, "symbol", reasons);
        var number = Code(row.Number, "number", reasons);
        var birthDate = Date(row.BirthDate, "birthdate", reasons);
        var joinedOn = Date(row.JoinedOn, "joined_on", reasons);
        if (birthDate > today)
        {
            reasons.Add($"birthdate {birthDate:yyyy-MM-dd} is in the future");
        }
        else if (birthDate < EarliestBirthDate)
        {
            reasons.Add($"birthdate {birthDate:yyyy-MM-dd} is before {EarliestBirthDate:yyyy}: a placeholder, not a member's");
        }

        // A roster may list members a little before they join (April's new hires in March), never years ahead.
        if (joinedOn > today.AddYears(1))
        {
            reasons.Add($"joined_on {joinedOn:yyyy-MM-dd} is more than a year ahead");
        }

        if (joinedOn < birthDate)
        {
            reasons.Add($"joined_on {joinedOn:yyyy-MM-dd} is before the birthdate");
        }

        var name = Required(row.Name, "name", reasons);
        // Counted as the database counts (characters, not UTF-16 units): 𠮷 of 𠮷野 is one.
        if (name is not null && name.EnumerateRunes().Count() > MaxNameLength)
        {
            reasons.Add($"name longer than {MaxNameLength} characters");
        }
        else if (name is not null && (!Shared.PlainText.IsPlain(name) || !name.EnumerateRunes().Any(Rune.IsLetter)))
        {
            // Shown on pages and in operators' terminals: a name has letters, and nothing a terminal would run.
            reasons.Add("name has control characters or no letters");
        }
        else if (name is not null && StartsLikeAFormula(name))
        {
            reasons.Add($"name starts with {name[0]}");
        }
        else if (name?.EnumerateRunes().FirstOrDefault(r => Rune.GetUnicodeCategory(r) == UnicodeCategory.PrivateUse) is { Value: > 0 } gaiji)
        {
            // An office's own characters (外字, Shift_JIS F040–F9FC) mean something only on its own machines:
            // pages, mails and the printed notice would show a box or nothing.
            reasons.Add($"name contains a private-use character (外字, U+{gaiji.Value:X4}) that only the office's own computers can show: replace it with a standard character");
        }

        var email = Email(row.Email, reasons);
        return reasons.Count == 0
            ? new RosterEntry(row.Line, userId!, Member.Normalize(userId!), symbol!, number!, birthDate!.Value, name!, joinedOn!.Value, email)
            : null;
    }

    /// <summary>
    /// User IDs and names go into the credentials notice, which the office opens in a spreadsheet:
    /// a cell starting with one of these is run as a formula there (CSV injection). No real user ID
    /// or name starts with one, so the line is refused rather than the value altered on the notice.
    /// </summary>
    // Full-width forms too: Japanese spreadsheet software may read ＝ as = when the credentials notice is opened.
    private static bool StartsLikeAFormula(string value) => value[0] is '=' or '+' or '-' or '@' or '＝' or '＋' or '－' or '＠';

    private static string? Required(string? value, string column, List<string> reasons)
    {
        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            reasons.Add($"missing field {column}");
            return null;
        }

        return trimmed;
    }

    /// <summary>A value quoted in a reason, cut short: a column pasted into the wrong one can be thousands of characters.</summary>
    private static string Excerpt(string text) =>
        text.Length <= 40 ? text : text[..(char.IsHighSurrogate(text[38]) ? 38 : 39)] + "…";

    /// <summary>記号 and 番号: digits only; full-width digits (typed with a Japanese IME) count as digits.</summary>
    private static string? Code(string? value, string column, List<string> reasons)
    {
        var text = Required(value, column, reasons);
        if (text is null)
        {
            return null;
        }

        var ascii = string.Create(text.Length, text, (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = source[i] is >= '０' and <= '９' ? (char)(source[i] - '０' + '0') : source[i];
            }
        });
        if (!ascii.All(char.IsAsciiDigit))
        {
            reasons.Add($"{column} {Excerpt(text)} is not digits only");
            return null;
        }

        if (ascii.Length > MaxCodeLength)
        {
            reasons.Add($"{column} longer than {MaxCodeLength} digits");
            return null;
        }

        return ascii;
    }

    private static DateOnly? Date(string? value, string column, List<string> reasons)
    {
        // Typed with a Japanese IME: full-width digits and slashes (１９８４／１０／０７) are the same date.
        var text = Required(value, column, reasons)?.Normalize(NormalizationForm.FormKC);
        if (text is null)
        {
            return null;
        }

        if (DateOnly.TryParseExact(text, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return date;
        }

        // Tells a typo in the layout apart from a date the calendar does not have (1984-02-30).
        reasons.Add(DateShape().IsMatch(text)
            ? $"impossible date {column} {Excerpt(text)}"
            : $"{column} {Excerpt(text)} is not a date (use yyyy-MM-dd, yyyy/MM/dd, yyyy/M/d or yyyyMMdd)");
        return null;
    }

    private static string? Email(string? value, List<string> reasons)
    {
        var text = value?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (text.Length > MaxEmailLength)
        {
            reasons.Add($"email longer than {MaxEmailLength} characters");
            return null;
        }

        // The rule of the pages' email field: a bare address (MailAddress also takes "Name <address>" and
        // lists) that a mail provider would send to, so the address offered at first login is one the member could type.
        if (Journey.Email.EmailAddressInput.Normalize(text) is not { } address)
        {
            reasons.Add($"email {Excerpt(text)} is not a valid address");
            return null;
        }

        return address;
    }

    [GeneratedRegex(@"^(\d{4}-\d{2}-\d{2}|\d{4}/\d{1,2}/\d{1,2}|\d{8})$")]
    private static partial Regex DateShape();
}
