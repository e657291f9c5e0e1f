using Microsoft.Net.Http.Headers;

namespace Kosmo.Idp.Protocol.Clients;

public static class BrowserAppCorsPipeline
{
    /// <summary>
    /// CORS, with every answer of these endpoints marked as varying by Origin: ASP.NET Core says so
    /// only when an app is allowed and more than one is registered, and a cache between us and the
    /// apps (discovery and the JWKS may be cached) would otherwise hand one origin's answer to another.
    /// </summary>
    public static IApplicationBuilder UseBrowserAppCors(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            if (BrowserAppCors.IsBrowserEndpoint(context.Request.Path))
            {
                context.Response.OnStarting(() =>
                {
                    var headers = context.Response.Headers;
                    if (!headers.Vary.Any(value => value?.Contains(HeaderNames.Origin, StringComparison.OrdinalIgnoreCase) == true))
                    {
                        headers.Append(HeaderNames.Vary, HeaderNames.Origin);
                    }

                    return Task.CompletedTask;
                });
            }

            return next(context);
        }).UseCors();
}
