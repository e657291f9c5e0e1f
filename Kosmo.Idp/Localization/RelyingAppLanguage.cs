namespace Kosmo.Idp.Localization;

/// <summary>
/// An app's ui_locales (OpenID Connect Core 3.1.2.1) sets the pages' language for the sign-in it
/// starts, when the member has not chosen one with the switch: an English app's members meet
/// English pages. Kept for the browser session only, in a cookie of its own, so it never
/// overrides the member's own choice nor outlives the visit.
/// </summary>
public static class RelyingAppLanguage
{
    public const string CookieName = "kosmo_language_app";

    public static void RememberFrom(HttpContext context, string? uiLocales)
    {
        if (FirstSupported(uiLocales) is not { } language || context.Request.Cookies.ContainsKey(LocalizationRegistration.CookieName))
        {
            return;
        }

        LocalizationRegistration.AppendCookie(context, CookieName, language, expires: null);
    }

    // A space-separated list of BCP 47 tags in order of preference: "en-US ja" → en.
    private static string? FirstSupported(string? uiLocales) =>
        (uiLocales ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(tag => tag.Split('-')[0].ToLowerInvariant())
            .FirstOrDefault(language => language is LocalizationRegistration.Japanese or LocalizationRegistration.English);
}
