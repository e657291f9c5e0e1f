using Kosmo.Idp.Operations.Startup;
namespace Kosmo.Idp.Operations.Web;

/// <summary>
/// Whether a cookie is marked Secure. Outside Development and Testing (plain http://localhost) TLS
/// ends at the ingress and every member reaches us over HTTPS, so the cookies always are: a proxy
/// that stops sending X-Forwarded-Proto, or a trusted-network setting gone wrong, must not let the
/// session cookie travel in clear text.
/// </summary>
public static class SecureCookies
{
    public static CookieSecurePolicy PolicyFor(IHostEnvironment environment) =>
        environment.IsDeployed() ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;

    /// <summary>For a cookie written by hand (CookieOptions.Secure).</summary>
    public static bool For(HttpRequest request) =>
        request.IsHttps || PolicyFor(request.HttpContext.RequestServices.GetRequiredService<IHostEnvironment>()) == CookieSecurePolicy.Always;
}
