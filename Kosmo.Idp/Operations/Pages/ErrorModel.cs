using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Kosmo.Idp.Operations.Web;

namespace Kosmo.Idp.Operations.Pages;

/// <summary>
/// What a person sees when something fails: an OAuth error that cannot be sent back to the app
/// (unknown client, unregistered redirect URI), a database that is down, or a bug. Never a stack trace.
/// </summary>
[IgnoreAntiforgeryToken]
[ResponseCache(NoStore = true, Location = ResponseCacheLocation.None)]
public sealed class ErrorModel : PageModel
{
    /// <summary>Resource key prefix: the page shows {Kind}.Heading and {Kind}.Message.</summary>
    public string Kind { get; private set; } = "Error.General";
    public string? ProtocolError { get; private set; }
    public string RequestId => HttpContext.TraceIdentifier;

    /// <summary>For an expired form: the page it came from, to open afresh (a path of this site only).</summary>
    public string? RetryUrl { get; private set; }

    public void OnGet(int? status) => Describe(status);

    public void OnPost(int? status) => Describe(status);

    private void Describe(int? status)
    {
        var exception = HttpContext.Features.Get<IExceptionHandlerFeature>()?.Error;
        if (exception is not null && Persistence.DatabaseUnavailable.Caused(exception))
        {
            Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            Kind = "Error.Unavailable";
            return;
        }

        var oauth = HttpContext.GetOpenIddictServerResponse();
        if (!string.IsNullOrEmpty(oauth?.Error))
        {
            ProtocolError = oauth.Error;
            Kind = "Error.BadRequest";
            return;
        }

        // Opened directly (/error/404), the page answers with the client error it describes; a server
        // error it did not see is none (a bookmark or a probe would otherwise log one at Error level),
        // and neither is a success (/error, /error/0): there is no such page.
        if (exception is null && Response.StatusCode == StatusCodes.Status200OK)
        {
            status = status is >= 400 and < 500 ? status : StatusCodes.Status404NotFound;
            Response.StatusCode = status.Value;
        }

        if (status == StatusCodes.Status400BadRequest && ExpiredForms.IsExpired(HttpContext))
        {
            Kind = "Error.Expired";
            var original = HttpContext.Features.Get<IStatusCodeReExecuteFeature>();
            var page = original is null ? null : original.OriginalPathBase + original.OriginalPath + original.OriginalQueryString;
            RetryUrl = page is not null && Url.IsLocalUrl(page) ? page : "/";
        }
        else if (status == StatusCodes.Status404NotFound)
        {
            Kind = "Error.NotFound";
        }
        else if (status == StatusCodes.Status429TooManyRequests)
        {
            Kind = "Error.TooMany";
        }
    }
}
