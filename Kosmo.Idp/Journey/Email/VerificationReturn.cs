using Microsoft.AspNetCore.DataProtection;

namespace Kosmo.Idp.Journey.Email;

/// <summary>
/// Where the journey was headed when the verification mail went out (the relying app's request),
/// kept in this browser for the mailed link: opened here by the same member, its 次へ goes on to the
/// app, as the waiting page does. A link opened on a phone, or by another member at a shared PC,
/// finds nothing of theirs and goes on to the provider's pages. Protected and bound to the member,
/// since the request carries the app's state.
/// </summary>
public static class VerificationReturn
{
    private const string CookieName = "kosmo_email_return";
    private const string CookiePath = "/journey/email";

    // A cookie holds 4 KB; a longer request is left out rather than cut by the browser.
    private const int LongestCookie = 3800;

    public static void Remember(HttpContext context, Guid memberId, string? returnUrl, TimeSpan lifetime)
    {
        var value = MemberJourney.IsLocalUrl(returnUrl) ? Protector(context).Protect(memberId.ToString("N") + "|" + returnUrl) : null;
        if (value is null || value.Length > LongestCookie)
        {
            Forget(context);
            return;
        }

        context.Response.Cookies.Append(CookieName, value, MemberCookies.Options(context.Request, CookiePath, SameSiteMode.Lax, lifetime));
    }

    public static string ContinueUrl(HttpContext context, Guid memberId) =>
        MemberJourney.UrlOf(JourneyStep.VerifyEmail, ReturnUrlOf(context, memberId));

    public static void Forget(HttpContext context) =>
        context.Response.Cookies.Delete(CookieName, MemberCookies.Options(context.Request, CookiePath, SameSiteMode.Lax));

    private static string? ReturnUrlOf(HttpContext context, Guid memberId)
    {
        if (context.Request.Cookies[CookieName] is not { Length: > 0 } cookie)
        {
            return null;
        }

        try
        {
            var parts = Protector(context).Unprotect(cookie).Split('|', 2);
            return parts.Length == 2 && parts[0] == memberId.ToString("N") ? parts[1] : null;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
    }

    private static IDataProtector Protector(HttpContext context) =>
        context.RequestServices.GetRequiredService<IDataProtectionProvider>().CreateProtector("Kosmo.Idp.Journey.Email.VerificationReturn");
}
