using System.Globalization;

namespace Kosmo.Idp.Operations.MemberCommands;

/// <summary>How operator commands write times and dates: UTC ISO 8601, the same on every operator's machine.</summary>
public static class OperatorText
{
    public static string Time(DateTimeOffset? time) =>
        time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";

    public static string Date(DateOnly? date) =>
        date is { } d ? d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "-";

    /// <summary>Pads to a column on a terminal, where kanji and kana take two cells.</summary>
    public static string Pad(string text, int cells) => text + new string(' ', Math.Max(0, cells - Cells(text)));

    public static int Cells(string text) => text.Sum(c => IsWide(c) ? 2 : 1);

    // The East Asian wide ranges that occur in members' data: CJK symbols, kana, kanji, full-width forms.
    private static bool IsWide(char c) => c is >= '\u1100' and <= '\u115F' or >= '\u2E80' and <= '\uA4CF' or >= '\uAC00' and <= '\uD7A3'
        or >= '\uF900' and <= '\uFAFF' or >= '\uFE30' and <= '\uFE4F' or >= '\uFF00' and <= '\uFF60' or >= '\uFFE0' and <= '\uFFE6';
}
