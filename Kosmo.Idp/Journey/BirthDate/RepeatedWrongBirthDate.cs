namespace Kosmo.Idp.Journey.BirthDate;

/// <summary>
/// The wrong birthdate this browser sent last. A reload after a refusal ("resend the form?")
/// sends the same date again: counted twice, one typo and two reloads would take most of the five
/// tries, and the lock that follows needs a call to the society. The same wrong date again is
/// answered without counting; it tells a guesser nothing new. Held by this browser only, until
/// the browser closes or the member signs out.
/// </summary>
public static class RepeatedWrongBirthDate
{
    private static readonly MemberBoundCookie Cookie =
        new("kosmo_birthdate_wrong", "/journey/birthdate", SameSiteMode.Strict, "Kosmo.Idp.Journey.BirthDate.LastWrong");

    public static bool IsRepeat(HttpContext context, Guid memberId, DateOnly typed) => Cookie.Read(context, memberId) == Text(typed);

    public static void Remember(HttpContext context, Guid memberId, DateOnly typed) => Cookie.Write(context, memberId, Text(typed));

    public static void Forget(HttpContext context) => Cookie.Forget(context);

    private static string Text(DateOnly date) => date.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
}
