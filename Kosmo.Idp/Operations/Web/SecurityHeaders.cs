using System.Security.Cryptography;
using System.Text;

namespace Kosmo.Idp.Operations.Web;

/// <summary>Headers that keep our pages from being framed, sniffed or made to load foreign code.</summary>
public static class SecurityHeaders
{
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

    /// <summary>
    /// The one inline script of OpenIddict's response_mode=form_post page, which posts the code to
    /// the app (ASP.NET Core's OpenID Connect handler asks for form_post by default). Allowed by its
    /// hash on the authorization endpoint only; ProtocolRefusalTests checks the hash against the page.
    /// </summary>
    public const string FormPostScript = "document.form.submit();";

    private static readonly string AuthorizationPolicy = ContentSecurityPolicy.Replace(
        "script-src 'self';", $"script-src 'self' 'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(FormPostScript)))}';",
        StringComparison.Ordinal);

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = context.Request.Path.StartsWithSegments("/" + Protocol.ProtocolPaths.Authorize)
                ? AuthorizationPolicy : ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            if (Protocol.ProtocolPaths.AnswersAboutATokenOrMember(context.Request.Path))
            {
                headers.CacheControl = "no-store";
                headers.Pragma = "no-cache";
            }

            return next(context);
        });
}
