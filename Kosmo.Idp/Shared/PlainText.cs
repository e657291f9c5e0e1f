using System.Globalization;

namespace Kosmo.Idp.Shared;

/// <summary>
/// Text a member or the roster gives us that is later shown to others (device names on pages,
/// names in an operator's terminal): no control characters (a terminal runs ESC sequences) and no
/// bidirectional overrides (which make text read differently from what it is).
/// </summary>
public static class PlainText
{
    public static bool IsPlain(string text) => !text.Any(IsHidden);

    /// <summary>For a terminal: each hidden character shown as its code (\u001B) instead of acting.</summary>
    public static string Printable(string? text) =>
        text is null || IsPlain(text) ? text ?? "" : string.Concat(text.Select(c => IsHidden(c) ? $"\\u{(int)c:X4}" : c.ToString()));

    /// <summary>
    /// For an identifier a person reads off paper and types (a user ID): besides the hidden
    /// characters, none that prints as nothing (a zero-width space, a soft hyphen, a BOM: Unicode's
    /// format characters), no line breaks and no private or unassigned code points. Two IDs that
    /// print alike would otherwise be two members.
    /// </summary>
    public static char? FirstInvisible(string text)
    {
        foreach (var c in text)
        {
            if (IsHidden(c) || CharUnicodeInfo.GetUnicodeCategory(c) is var category && (PrintsAsNothing(category) || category == UnicodeCategory.Surrogate))
            {
                return c;
            }
        }

        return null;
    }

    /// <summary>
    /// For a line shown on every page and in mails (the society's contact): none of the characters
    /// <see cref="FirstInvisible"/> refuses, but read by code point, so a kanji beyond the Basic
    /// Multilingual Plane (𠮷) is one visible character, not two surrogates.
    /// </summary>
    public static bool IsVisibleLine(string text) =>
        !text.EnumerateRunes().Any(rune => System.Text.Rune.GetUnicodeCategory(rune) is var category
            && (category == UnicodeCategory.Control || PrintsAsNothing(category)));

    // Unicode's format characters (a zero-width space, a soft hyphen, a BOM, the direction marks), line
    // and paragraph separators, private-use and unassigned code points.
    private static bool PrintsAsNothing(UnicodeCategory category) =>
        category is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
            or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;

    private static bool IsHidden(char c) => char.IsControl(c) || c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069';
}
