using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Kosmo.Idp.Operations.Web;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Operations.Pages;

/// <summary>
/// What a person sees when something fails: an OAuth error that cannot be sent back to the app
/// (unknown client, unregistered redirect URI), a database that is down, or a bug. Never a stack trace.
/// </summary>
[IgnoreAntiforgeryToken]
[ResponseCache(NoStore = true, Location = ResponseCacheLocation.None)]
public sealed class ErrorModel(ILogger<ErrorModel> logger) : PageModel
{
    /// <summary>Resource key prefix: the page shows {Kind}.Heading and {Kind}.Message.</summary>
    public string Kind { get; private set; } = "Error.General";
    public string? ProtocolError { get; private set; }
    public string? ProtocolErrorDescription { get; private set; }
    public string RequestId => HttpContext.TraceIdentifier;

    /// <summary>For an expired form: the page it came from, to open afresh (a path of this site only).</summary>
    public string? RetryUrl { get; private set; }

    public IActionResult OnGet(int? status) => Describe(status) ?? Page();

    public IActionResult OnPost(int? status) => Describe(status) ?? Page();

    /// <summary>Sets what the page says; returns the answer instead of the page for a program (token endpoint, …).</summary>
    private IActionResult? Describe(int? status)
    {
        var failure = HttpContext.Features.Get<IExceptionHandlerFeature>();
        var exception = failure?.Error;
        var busy = exception is not null && Persistence.DatabaseUnavailable.Busy(exception);
        var databaseDown = !busy && exception is not null && Persistence.DatabaseUnavailable.Caused(exception);
        if (exception is not null && Protocol.ProtocolPaths.IsMachineEndpoint(failure!.Path))
        {
            // An app's back channel reads JSON in OAuth's error shape (and may retry what is temporary).
            var (retryAfter, description) = busy ? ("2", "The service is busy with another request on the same data. Try again in a moment.")
                : databaseDown ? ("30", "The service cannot reach its database. Try again shortly.")
                : ((string?)null, "The service failed to answer.");
            if (retryAfter is not null)
            {
                Response.Headers.RetryAfter = retryAfter;
            }

            return new JsonResult(new Dictionary<string, string>
            {
                ["error"] = retryAfter is null ? Errors.ServerError : Errors.TemporarilyUnavailable,
                ["error_description"] = description,
            }) { StatusCode = retryAfter is null ? StatusCodes.Status500InternalServerError : StatusCodes.Status503ServiceUnavailable };
        }

        if (busy)
        {
            // Usually the same form sent twice at once, or a long import holding the rows: the same page again works.
            Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            Kind = "Error.Busy";
            var page = Shared.PageAddress.ToOpenAgain(HttpContext, null);
            RetryUrl = Url.IsLocalUrl(page) ? page : "/";
            return null;
        }

        if (databaseDown)
        {
            Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            Kind = "Error.Unavailable";
            return null;
        }

        var oauth = HttpContext.GetOpenIddictServerResponse();
        if (!string.IsNullOrEmpty(oauth?.Error))
        {
            ProtocolError = oauth.Error;
            ProtocolErrorDescription = oauth.ErrorDescription;
            // The request event says only "400"; an app's developer reads the log to find out why.
            logger.LogInformation("Protocol request refused on the error page: {Error}: {ErrorDescription}", oauth.Error, oauth.ErrorDescription);
            Kind = "Error.BadRequest";
            return null;
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
            // A form that could not be read at all (a control character such as NUL in a field)
            // reaches here as one without its token: the page has not expired, the input was refused.
            Kind = UnreadableForms.WasUnreadable(HttpContext) ? "Error.Unreadable" : "Error.Expired";
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

        return null;
    }
}
