using Kosmo.Idp.Operations.Web;

namespace Kosmo.Idp.Journey;

/// <summary>
/// The small cookies journey pages write by hand (besides the session's): script-proof, Secure
/// outside Development and Testing, scoped to their page under the site's path base, and gone when
/// the member signs out here, since the next person at a shared PC is not the member.
/// </summary>
public static class MemberCookies
{
    public static CookieOptions Options(HttpRequest request, string path, SameSiteMode sameSite, TimeSpan? maxAge = null) => new()
    {
        HttpOnly = true,
        Secure = SecureCookies.For(request),
        SameSite = sameSite,
        Path = request.PathBase + path,
        MaxAge = maxAge,
        IsEssential = true,
    };

    /// <summary>At sign-out: the recovery codes being copied down, the way back from the mailed link, the notices of the sign-in.</summary>
    public static void ForgetAll(HttpContext context)
    {
        Recovery.RecoveryCodesModel.ForgetShownSet(context);
        Email.VerificationReturn.Forget(context);
        ForgottenAtSignIn.Forget(context);
    }
}
