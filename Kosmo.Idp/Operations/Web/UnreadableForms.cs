using Microsoft.AspNetCore.Http.Features;

namespace Kosmo.Idp.Operations.Web;

/// <summary>
/// A form body ASP.NET Core refuses to parse (a NUL character, a value over the size limits, a
/// multipart body that ends before its boundary) would
/// throw wherever the form is first read, inside OpenIddict or a page's antiforgery check, and
/// become a 500. Read here first; an unreadable form counts as an empty one, which every endpoint
/// already refuses properly: OpenIddict with invalid_request, a page with its 400 page.
/// </summary>
public static class UnreadableForms
{
    private const string Marker = "Kosmo.UnreadableForm";

    /// <summary>The form of this request could not be read, and was taken as empty.</summary>
    public static bool WasUnreadable(HttpContext context) => context.Items.ContainsKey(Marker);

    public static IApplicationBuilder UseUnreadableFormsAsEmpty(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (context.Request.HasFormContentType)
            {
                try
                {
                    await context.Request.ReadFormAsync(context.RequestAborted);
                }
                // A body over Kestrel's size limit keeps its status (413), answered here: left to throw, it
                // would be re-read by the error page's own re-execution and end as a logged 500.
                catch (BadHttpRequestException e) when (!context.RequestAborted.IsCancellationRequested)
                {
                    context.Features.Set<IFormFeature>(new FormFeature(FormCollection.Empty));
                    context.Response.StatusCode = e.StatusCode;
                    return;
                }
                catch (Exception e) when (e is InvalidDataException or IOException && !context.RequestAborted.IsCancellationRequested)
                {
                    // The reason only: the values themselves may be secrets.
                    context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(UnreadableForms))
                        .LogInformation("A form that cannot be read was taken as empty: {Reason}", e.Message);
                    context.Features.Set<IFormFeature>(new FormFeature(FormCollection.Empty));
                    context.Items[Marker] = true;
                }
            }

            await next(context);
        });
}
