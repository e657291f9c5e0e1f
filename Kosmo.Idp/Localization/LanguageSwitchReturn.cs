using Microsoft.AspNetCore.Diagnostics;

namespace Kosmo.Idp.Localization;

/// <summary>Where the language switch sends the member back to: the page they were reading, in the other language.</summary>
public static class LanguageSwitchReturn
{
    public static string For(HttpContext context, object? model)
    {
        // An error page is drawn at /error/{status} in place of the page asked for; opened by that
        // address it would only say "page not found" or "try later". The page asked for, opened again,
        // shows its own error again (an app's refused request, an outage) or a fresh form (an expired one).
        if (context.Features.Get<IStatusCodeReExecuteFeature>() is { } reExecuted)
        {
            return reExecuted.OriginalPathBase + reExecuted.OriginalPath + reExecuted.OriginalQueryString;
        }

        if (context.Features.Get<IExceptionHandlerPathFeature>() is { } failed)
        {
            return context.Request.PathBase + failed.Path + context.Request.QueryString;
        }

        // After a form, the address lacks the form's values: the page itself, with the way back to the app it carried.
        return HttpMethods.IsPost(context.Request.Method) && model is Journey.IReturnsToAnApp page
            ? page.AddressAfterForm(context.Request)
            : context.Request.PathBase + context.Request.Path + context.Request.QueryString;
    }
}
