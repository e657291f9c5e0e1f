using System.Globalization;
using Microsoft.AspNetCore.Localization;

namespace Kosmo.Idp.Localization;

/// <summary>
/// Japanese unless the member chose English with the switch on every page (or, until they do, the
/// app that sent them asked for English); the choice lives in a cookie, so it survives the trip
/// through a relying app and the next visit. The browser's
/// Accept-Language is deliberately ignored: the society's members expect Japanese first.
/// </summary>
public static class LocalizationRegistration
{
    public const string Japanese = "ja";
    public const string English = "en";
    public const string CookieName = "kosmo_language";

    public static readonly CultureInfo JapaneseCulture = CultureInfo.GetCultureInfo(Japanese);

    public static readonly CultureInfo EnglishCulture = CultureInfo.GetCultureInfo(English);

    public static readonly CultureInfo[] Cultures = [JapaneseCulture, EnglishCulture];

    public static IServiceCollection AddKosmoLocalization(this IServiceCollection services)
    {
        services.AddLocalization();
        services.Configure<RequestLocalizationOptions>(options =>
        {
            options.DefaultRequestCulture = new RequestCulture(Japanese);
            options.SupportedCultures = Cultures;
            options.SupportedUICultures = Cultures;
            // The member's own choice first, then the language the app asked for (RelyingAppLanguage):
            // in this request, or earlier in the visit.
            options.RequestCultureProviders =
            [
                new CookieRequestCultureProvider { CookieName = CookieName },
                new CustomRequestCultureProvider(RelyingAppLanguage.FromThisRequestAsync),
                new CookieRequestCultureProvider { CookieName = RelyingAppLanguage.CookieName },
            ];
        });
        return services;
    }

    public static bool IsEnglish => CultureInfo.CurrentUICulture.TwoLetterISOLanguageName == English;

    public static string CookieValueFor(string culture) =>
        CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(culture));

    /// <summary>A language cookie (the member's choice, or an app's for the visit when <paramref name="expires"/> is null).</summary>
    public static void AppendCookie(HttpContext context, string name, string culture, DateTimeOffset? expires) =>
        context.Response.Cookies.Append(name, CookieValueFor(culture), new CookieOptions
        {
            Expires = expires,
            HttpOnly = true,
            IsEssential = true,
            SameSite = SameSiteMode.Lax,
            Secure = Operations.Web.SecureCookies.For(context.Request),
        });
}
