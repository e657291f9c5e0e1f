using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;

namespace Kosmo.Idp.Operations.Web;

/// <summary>
/// Razor Pages renders a page even when no handler matches the request (a POST naming no handler or
/// an unknown one, TRACE, PUT): the page would then render without the state its handlers load.
/// Such a request is answered 405 instead, with the Allow header HTTP requires on it; GET and HEAD
/// always have a handler here.
/// </summary>
public sealed class NoMatchingHandler : IAsyncPageFilter
{
    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var method = context.HttpContext.Request.Method;
        if (context.HandlerMethod is null && !HttpMethods.IsGet(method) && !HttpMethods.IsHead(method))
        {
            var allowed = context.ActionDescriptor.HandlerMethods.Select(handler => handler.HttpMethod.ToUpperInvariant())
                .Prepend(HttpMethods.Head).Prepend(HttpMethods.Get).Distinct();
            context.HttpContext.Response.Headers.Allow = string.Join(", ", allowed);
            context.Result = new StatusCodeResult(StatusCodes.Status405MethodNotAllowed);
            return;
        }

        await next();
    }
}
