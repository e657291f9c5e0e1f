namespace Kosmo.Idp.Protocol;

/// <summary>
/// Uptime monitors and caches ask the discovery documents and the key set (all under /.well-known)
/// with HEAD, which OpenIddict refuses as an invalid request. Such a request is answered as the GET
/// it stands for; Kestrel still sends no body, since it keeps the method the client used. The method
/// is put back afterwards, so the request's log event says HEAD, as the client sent it.
/// </summary>
public static class DiscoveryHeadRequests
{
    public static IApplicationBuilder UseDiscoveryHeadRequests(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var request = context.Request;
            if (!HttpMethods.IsHead(request.Method) || !request.Path.StartsWithSegments("/.well-known"))
            {
                await next(context);
                return;
            }

            request.Method = HttpMethods.Get;
            try
            {
                await next(context);
            }
            finally
            {
                request.Method = HttpMethods.Head;
            }
        });
}
