using Microsoft.AspNetCore.DataProtection;

namespace Kosmo.Idp.Journey;

/// <summary>
/// A value one journey page keeps in this browser for one member (the recovery codes being copied
/// down, the way back from the mailed link, the last wrong birthdate, a sign-in's notices): protected, so only this
/// provider reads it; bound to the member, so the next person at a shared PC finds nothing of
/// theirs; scoped to its page and gone at sign-out (<see cref="MemberCookies"/>).
/// </summary>
public sealed class MemberBoundCookie(string name, string path, SameSiteMode sameSite, string purpose)
{
    // A cookie holds 4 KB; a longer value is left out rather than cut by the browser.
    private const int LongestCookie = 3800;

    /// <summary>Keeps <paramref name="value"/> for the member; nothing is kept when it would not fit a cookie.</summary>
    public void Write(HttpContext context, Guid memberId, string value, TimeSpan? maxAge = null)
    {
        var sealedValue = Protector(context).Protect(memberId.ToString("N") + "|" + value);
        if (sealedValue.Length > LongestCookie)
        {
            Forget(context);
            return;
        }

        context.Response.Cookies.Append(name, sealedValue, MemberCookies.Options(context.Request, path, sameSite, maxAge));
    }

    /// <summary>The value kept for this member; null when there is none, it is another member's, or it is not ours.</summary>
    public string? Read(HttpContext context, Guid memberId)
    {
        if (context.Request.Cookies[name] is not { Length: > 0 } cookie)
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

    public void Forget(HttpContext context) =>
        context.Response.Cookies.Delete(name, MemberCookies.Options(context.Request, path, sameSite));

    private IDataProtector Protector(HttpContext context) =>
        context.RequestServices.GetRequiredService<IDataProtectionProvider>().CreateProtector(purpose);
}
