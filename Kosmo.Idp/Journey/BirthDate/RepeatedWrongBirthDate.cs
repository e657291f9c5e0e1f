using Microsoft.AspNetCore.DataProtection;

namespace Kosmo.Idp.Journey.BirthDate;

/// <summary>
/// The wrong birthdate this browser sent last. A reload after a refusal ("resend the form?")
/// sends the same date again: counted twice, one typo and two reloads would take most of the five
/// tries, and the lock that follows needs a call to the society. The same wrong date again is
/// answered without counting; it tells a guesser nothing new. Held by this browser only, protected,
/// for this page, until the browser closes or the member signs out.
/// </summary>
public sealed class RepeatedWrongBirthDate(IDataProtectionProvider protection)
{
    private const string CookieName = "kosmo_birthdate_wrong";
    private const string PagePath = "/journey/birthdate";

    private readonly IDataProtector _protector = protection.CreateProtector("Kosmo.Idp.Journey.BirthDate.LastWrong");

    public bool IsRepeat(HttpContext context, Guid memberId, DateOnly typed)
    {
        if (context.Request.Cookies[CookieName] is not { Length: > 0 } cookie)
        {
            return false;
        }

        try
        {
            return _protector.Unprotect(cookie) == Value(memberId, typed);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return false;
        }
    }

    public void Remember(HttpContext context, Guid memberId, DateOnly typed) =>
        context.Response.Cookies.Append(CookieName, _protector.Protect(Value(memberId, typed)), MemberCookies.Options(context.Request, PagePath, SameSiteMode.Strict));

    public static void Forget(HttpContext context) =>
        context.Response.Cookies.Delete(CookieName, MemberCookies.Options(context.Request, PagePath, SameSiteMode.Strict));

    private static string Value(Guid memberId, DateOnly typed) => $"{memberId:N}|{typed:yyyyMMdd}";
}
