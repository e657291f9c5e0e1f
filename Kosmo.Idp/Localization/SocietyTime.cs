using System.Globalization;

namespace Kosmo.Idp.Localization;

/// <summary>
/// Times shown to members are Japan time whatever the server's own zone (containers run on UTC):
/// the society and its members are in Japan, which keeps no daylight saving time.
/// </summary>
public static class SocietyTime
{
    private static readonly TimeSpan Japan = TimeSpan.FromHours(9);

    /// <summary>A date and time as members read them, in the language of the text it goes into.</summary>
    public static MemberFacingTime Minute(DateTimeOffset time) => new(time.ToOffset(Japan), WithTime: true);

    /// <summary>A date as members read them, in the language of the text it goes into.</summary>
    public static MemberFacingTime Day(DateTimeOffset time) => new(time.ToOffset(Japan), WithTime: false);

    /// <summary>The date in Japan at <paramref name="time"/>.</summary>
    public static DateOnly Today(DateTimeOffset time) => DateOnly.FromDateTime(time.ToOffset(Japan).DateTime);
}

/// <summary>
/// A time in Japan that takes the form of the language formatting it (the page's culture, or each
/// language of a mail): 2026年11月28日 0:35 in Japanese, as the society's printed notices write
/// dates; 28 Nov 2026, 00:35 in English, where a numeric 11/28 or 28/11 would be read both ways.
/// </summary>
public readonly record struct MemberFacingTime(DateTimeOffset InJapan, bool WithTime) : IFormattable
{
    public string ToString(string? format, IFormatProvider? formatProvider)
    {
        var culture = formatProvider as CultureInfo ?? CultureInfo.CurrentCulture;
        var japanese = culture.TwoLetterISOLanguageName == LocalizationRegistration.Japanese;
        var pattern = (japanese, WithTime) switch
        {
            (true, true) => "yyyy'年'M'月'd'日' H:mm",
            (true, false) => "yyyy'年'M'月'd'日'",
            (false, true) => "d MMM yyyy, HH:mm",
            (false, false) => "d MMM yyyy",
        };
        return InJapan.ToString(pattern, japanese ? CultureInfo.InvariantCulture : LocalizationRegistration.EnglishCulture);
    }

    public override string ToString() => ToString(null, CultureInfo.CurrentCulture);
}
