namespace Kosmo.Idp.Journey;

/// <summary>
/// What a sign-in put away from an earlier one (<see cref="InitialPasswordChoices"/>, an unfinished
/// app setup), said on the page where the member meets the change: the email page asks for an
/// address the member may have confirmed a moment ago, and the setup page shows a key other than
/// the one the member may already have added to an app, whose codes would then be refused with
/// no reason given. Kept by this browser for the sign-in (a member-bound cookie per page).
/// </summary>
public static class ForgottenAtSignIn
{
    private static readonly MemberBoundCookie Address =
        new("kosmo_address_again", "/journey/email", SameSiteMode.Lax, "Kosmo.Idp.Journey.ForgottenAtSignIn.Address");

    private static readonly MemberBoundCookie AppKey =
        new("kosmo_app_key_replaced", "/journey/otp-setup", SameSiteMode.Lax, "Kosmo.Idp.Journey.ForgottenAtSignIn.AppKey");

    /// <summary>Set at sign-in: each notice for what this sign-in put away, none left from an earlier one.</summary>
    public static void Remember(HttpContext context, Guid memberId, bool address, bool appKey)
    {
        Set(Address, context, memberId, address);
        Set(AppKey, context, memberId, appKey);
    }

    public static bool AddressIsAskedAgain(HttpContext context, Guid memberId) => Address.Read(context, memberId) is not null;

    public static bool AppKeyWasReplaced(HttpContext context, Guid memberId) => AppKey.Read(context, memberId) is not null;

    /// <summary>The app is set up: a later setup (another device) has nothing to explain.</summary>
    public static void AppKeyDone(HttpContext context) => AppKey.Forget(context);

    public static void Forget(HttpContext context)
    {
        Address.Forget(context);
        AppKey.Forget(context);
    }

    // Deleted whether or not this request carries it: the cookies' paths keep them from /login.
    private static void Set(MemberBoundCookie cookie, HttpContext context, Guid memberId, bool on)
    {
        if (on)
        {
            cookie.Write(context, memberId, "1");
        }
        else
        {
            cookie.Forget(context);
        }
    }
}
