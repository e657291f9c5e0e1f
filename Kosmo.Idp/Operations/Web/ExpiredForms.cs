using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.Core.Infrastructure;

namespace Kosmo.Idp.Operations.Web;

/// <summary>
/// A form whose antiforgery token no longer fits the browser (sent after the session ended, from a
/// second tab after signing in in the first, from a page restored the next day) is refused with
/// 400, rightly, but the general error page would tell the member to wait, which never helps.
/// This marks the request, so that the error page says the page has expired and offers it afresh.
/// </summary>
public sealed class ExpiredForms : IAlwaysRunResultFilter
{
    private const string Marker = "Kosmo.ExpiredForm";

    public static bool IsExpired(HttpContext context) => context.Items.ContainsKey(Marker);

    public void OnResultExecuting(ResultExecutingContext context)
    {
        if (context.Result is IAntiforgeryValidationFailedResult)
        {
            context.HttpContext.Items[Marker] = true;
        }
    }

    public void OnResultExecuted(ResultExecutedContext context)
    {
    }
}
