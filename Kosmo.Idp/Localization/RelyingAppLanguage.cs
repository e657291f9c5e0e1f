using Microsoft.AspNetCore.Localization;

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

    /// <summary>
    /// The language an app's request asks for, for that request itself: the page a refused request
    /// shows (unknown client, unregistered redirect URI) is the member's first page of the visit and
    /// has no cookie to go by yet. So does the mailed confirmation link, which opens on another device
    /// and carries the language of the page that sent it. Only the query is read: a form posted to
    /// the endpoint is not read before host filtering and the unreadable-form guard have seen it.
    /// </summary>
    public static Task<ProviderCultureResult?> FromThisRequestAsync(HttpContext context)
    {
        var path = context.Request.Path;
        var asked = path.StartsWithSegments("/" + Protocol.ProtocolPaths.Authorize) || path.StartsWithSegments("/" + Protocol.ProtocolPaths.EndSession)
            || path.StartsWithSegments(Journey.Email.EmailVerificationService.VerifyPath)
            ? FirstSupported(context.Request.Query[OpenIddict.Abstractions.OpenIddictConstants.Parameters.UiLocales])
            : null;
        return Task.FromResult(asked is null ? null : new ProviderCultureResult(asked));
    }

    // A space-separated list of BCP 47 tags in order of preference: "en-US ja" → en.
    private static string? FirstSupported(string? uiLocales) =>
        (uiLocales ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(tag => tag.Split('-')[0].ToLowerInvariant())
            .FirstOrDefault(language => language is LocalizationRegistration.Japanese or LocalizationRegistration.English);
}
