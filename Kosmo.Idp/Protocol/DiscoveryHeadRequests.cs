namespace Kosmo.Idp.Protocol;

/// <summary>
/// Uptime monitors and caches ask the discovery documents and the key set (all under /.well-known)
/// with HEAD, which OpenIddict refuses as an invalid request. Such a request is answered as the GET
/// it stands for; Kestrel still sends no body, since it keeps the method the client used.
/// </summary>
public static class DiscoveryHeadRequests
{
    public static IApplicationBuilder UseDiscoveryHeadRequests(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            var request = context.Request;
            if (HttpMethods.IsHead(request.Method) && request.Path.StartsWithSegments("/.well-known"))
            {
                request.Method = HttpMethods.Get;
            }

            return next(context);
        });
}
