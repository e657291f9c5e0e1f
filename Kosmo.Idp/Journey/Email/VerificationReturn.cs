namespace Kosmo.Idp.Journey.Email;

/// <summary>
/// Where the journey was headed when the verification mail went out (the relying app's request),
/// kept in this browser for the mailed link: opened here, its 次へ goes on to the app, as the
/// waiting page does. A link opened on a phone finds nothing and goes on to the provider's pages.
/// </summary>
public static class VerificationReturn
{
    private const string CookieName = "kosmo_email_return";
    private const string CookiePath = "/journey/email";

    // A cookie holds 4 KB; a longer request is left out rather than cut.
    private const int LongestUrl = 3000;

    public static void Remember(HttpContext context, string? returnUrl, TimeSpan lifetime)
    {
        if (MemberJourney.IsLocalUrl(returnUrl) && returnUrl.Length <= LongestUrl)
        {
            context.Response.Cookies.Append(CookieName, returnUrl, new CookieOptions
            {
                HttpOnly = true,
                Secure = context.Request.IsHttps,
                SameSite = SameSiteMode.Lax,
                Path = CookiePath,
                MaxAge = lifetime,
                IsEssential = true,
            });
        }
        else
        {
            Forget(context);
        }
    }

    public static string ContinueUrl(HttpContext context) =>
        MemberJourney.UrlOf(JourneyStep.VerifyEmail, context.Request.Cookies[CookieName]);

    public static void Forget(HttpContext context) => context.Response.Cookies.Delete(CookieName, new CookieOptions { Path = CookiePath });
}
