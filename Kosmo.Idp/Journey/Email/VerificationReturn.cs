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
    private static readonly MemberBoundCookie Cookie =
        new("kosmo_email_return", "/journey/email", SameSiteMode.Lax, "Kosmo.Idp.Journey.Email.VerificationReturn");

    public static void Remember(HttpContext context, Guid memberId, string? returnUrl, TimeSpan lifetime)
    {
        if (MemberJourney.IsLocalUrl(returnUrl))
        {
            Cookie.Write(context, memberId, returnUrl, lifetime);
        }
        else
        {
            Forget(context);
        }
    }

    public static string ContinueUrl(HttpContext context, Guid memberId) =>
        MemberJourney.UrlOf(JourneyStep.VerifyEmail, Cookie.Read(context, memberId));

    public static void Forget(HttpContext context) => Cookie.Forget(context);
}
