using System.Globalization;

namespace Kosmo.Idp.Localization;

/// <summary>
/// Two messages shown as one. Japanese runs its sentences on after 。 with no space between
/// them; a half-width space there reads as a stray gap. English separates sentences with a space.
/// </summary>
public static class Sentences
{
    public static string Join(string first, string second) =>
        first + (CultureInfo.CurrentUICulture.TwoLetterISOLanguageName == "ja" ? "" : " ") + second;
}
