using System.Globalization;
using System.Net;
using Microsoft.Extensions.Localization;

namespace Kosmo.Idp.Operations.Web;

/// <summary>
/// Until the protocol keys are loaded and the relying apps synced (a new database whose `migrate`
/// job has not run yet, with Database:MigrateOnStart off), nothing but the health checks and metrics can answer: OpenIddict, which runs in
/// every request's authentication, has no keys to work with. The health checks answer before this
/// (they need no protocol); every other request gets a plain 503 "starting" page instead of an
/// error from deep inside OpenIddict. Once `migrate` has run, the preparation (which checks the schema
/// every 5 seconds) loads the keys and opens the replica by itself.
/// </summary>
public static class WaitForKeys
{
    public static WebApplication UseAuthenticationOnceKeysAreLoaded(this WebApplication app)
    {
        // Done means the keys are loaded too: the preparation loads them before it syncs the apps.
        var preparation = app.Services.GetRequiredService<Startup.PreparationState>();
        app.Use(async (context, next) =>
        {
            if (preparation.IsDone)
            {
                await next(context);
                return;
            }

            // Metrics need no protocol either: a replica waiting for `migrate` is still scraped. The
            // scrape endpoint (routed by now) runs right here, before authentication, in which
            // OpenIddict takes part on every request and has no keys yet.
            if (context.GetEndpoint() is { RequestDelegate: { } scrape } endpoint && endpoint.Metadata.GetMetadata<Telemetry.ScrapeEndpoint>() is not null)
            {
                await scrape(context);
                return;
            }

            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "60";
            context.Response.ContentType = "text/html; charset=utf-8";
            await context.Response.WriteAsync(StartingPage(context), context.RequestAborted);
        });
        app.UseAuthentication();
        return app;
    }

    // In the member's language (the request's culture is set by now); no layout, which would need the protocol.
    private static string StartingPage(HttpContext context)
    {
        var text = context.RequestServices.GetRequiredService<IStringLocalizer<Localization.Strings>>();
        var title = WebUtility.HtmlEncode(text["Starting.Title"]);
        return $"""
            <!DOCTYPE html>
            <html lang="{CultureInfo.CurrentUICulture.TwoLetterISOLanguageName}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title></head>
            <body><h1>{title}</h1><p>{WebUtility.HtmlEncode(text["Starting.Body"])}</p></body></html>
            """;
    }
}
