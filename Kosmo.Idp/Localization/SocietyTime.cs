using System.Globalization;

namespace Kosmo.Idp.Localization;

/// <summary>
/// Times shown to members are Japan time whatever the server's own zone (containers run on UTC):
/// the society and its members are in Japan, which keeps no daylight saving time.
/// </summary>
public static class SocietyTime
{
    private static readonly TimeSpan Japan = TimeSpan.FromHours(9);

    public static string Minute(DateTimeOffset time) => time.ToOffset(Japan).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    public static string Day(DateTimeOffset time) => time.ToOffset(Japan).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>The date in Japan at <paramref name="time"/>.</summary>
    public static DateOnly Today(DateTimeOffset time) => DateOnly.FromDateTime(time.ToOffset(Japan).DateTime);
}
