using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.WebUtilities;

namespace Kosmo.Idp.Shared;

/// <summary>
/// The address of the page a member is reading, to open it again by GET: where the language switch
/// returns to, and what a page drawn in answer to a form puts in the browser's history in place of
/// the form's POST (forget-form-post.js).
/// </summary>
public static class PageAddress
{
    public static string ToOpenAgain(HttpContext context, object? model)
    {
        // An error page is drawn at /error/{status} in place of the page asked for; opened by that
        // address it would only say "page not found" or "try later". The page asked for, opened again,
        // shows its own error again (an app's refused request, an outage) or a fresh form (an expired one).
        // (The exception handler changes only the path: the query and the path base are the page's own.)
        var asked = context.Features.Get<IStatusCodeReExecuteFeature>() is { } reExecuted
            ? (Base: reExecuted.OriginalPathBase, Path: reExecuted.OriginalPath, Query: reExecuted.OriginalQueryString)
            : context.Features.Get<IExceptionHandlerPathFeature>() is { } failed
                ? (Base: context.Request.PathBase.Value, Path: failed.Path, Query: context.Request.QueryString.Value)
                : default;
        if (asked.Path is not null)
        {
            // An app's authorization request sent as a form has its parameters in the body: they go
            // into the address, or the page opened again would show another refusal ("no client_id").
            // One too long for an address, and a logout request (whose id_token_hint an app that posts
            // keeps out of addresses), leave the home page as the way on.
            if (HttpMethods.IsPost(context.Request.Method) && IsAppRequest(asked.Path))
            {
                return new PathString(asked.Path).StartsWithSegments("/" + Protocol.ProtocolPaths.Authorize)
                    && AppRequestAddress(context, asked.Base + asked.Path) is { } address
                    ? address
                    : "/";
            }

            return asked.Base + asked.Path + WithoutFormHandler(context, asked.Query);
        }

        // After a form, the address lacks the form's values: the page itself, with the way back to the app it carried.
        return HttpMethods.IsPost(context.Request.Method) && model is Journey.IReturnsToAnApp page
            ? page.AddressAfterForm(context.Request)
            : context.Request.PathBase + context.Request.Path + WithoutFormHandler(context, context.Request.QueryString.Value);
    }

    private static bool IsAppRequest(string? path) =>
        new PathString(path).StartsWithSegments("/" + Protocol.ProtocolPaths.Authorize)
        || new PathString(path).StartsWithSegments("/" + Protocol.ProtocolPaths.EndSession);

    // Kestrel takes 8 KB of request line; 2 000 characters is what every browser and proxy carries.
    private const int LongestAddress = 2000;

    private static string? AppRequestAddress(HttpContext context, string path)
    {
        if (context.GetOpenIddictServerRequest() is not { } request)
        {
            return null;
        }

        var address = path + Protocol.AuthorizationEndpoints.QueryOf(request);
        return address.Length <= LongestAddress ? address : null;
    }

    /// <summary>
    /// A form's handler (?handler=ChangeEmail) names what the POST did; opened by GET, the page has no
    /// such handler and would be drawn without its content.
    /// </summary>
    private static string WithoutFormHandler(HttpContext context, string? query)
    {
        if (!HttpMethods.IsPost(context.Request.Method) || string.IsNullOrEmpty(query) || !query.Contains("handler=", StringComparison.OrdinalIgnoreCase))
        {
            return query ?? "";
        }

        var kept = QueryHelpers.ParseQuery(query).Where(p => !string.Equals(p.Key, "handler", StringComparison.OrdinalIgnoreCase))
            .SelectMany(p => p.Value.Select(value => new KeyValuePair<string, string?>(p.Key, value)));
        return QueryString.Create(kept).Value ?? "";
    }
}
