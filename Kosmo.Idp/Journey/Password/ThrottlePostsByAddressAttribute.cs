using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;

namespace Kosmo.Idp.Journey.Password;

/// <summary>
/// Puts a page's form posts under <see cref="AddressThrottle"/>. Over the allowance the member gets
/// the 429 page ("try again in a minute") and the handler does not run, so no secret is checked.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class ThrottlePostsByAddressAttribute : Attribute, IAsyncPageFilter
{
    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var http = context.HttpContext;
        if (HttpMethods.IsPost(http.Request.Method))
        {
            var throttle = http.RequestServices.GetRequiredService<AddressThrottle>();
            if (!await throttle.AllowPostAsync(http.Connection.RemoteIpAddress, http.RequestAborted))
            {
                http.RequestServices.GetRequiredService<ILogger<ThrottlePostsByAddressAttribute>>()
                    .LogWarning("Form post to {Page} refused: over the per-address allowance for this minute", context.ActionDescriptor.ViewEnginePath);
                // The allowance is per clock minute: it is whole again at the next one.
                var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
                http.Response.Headers.RetryAfter = (60 - now.Second).ToString(System.Globalization.CultureInfo.InvariantCulture);
                context.Result = new StatusCodeResult(StatusCodes.Status429TooManyRequests);
                return;
            }
        }

        await next();
    }
}
