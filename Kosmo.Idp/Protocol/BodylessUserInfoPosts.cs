using Microsoft.AspNetCore.Http.Features;

namespace Kosmo.Idp.Protocol;

/// <summary>
/// OpenID Connect lets an app call userinfo by POST with only its Bearer header (Core 5.3.1);
/// OpenIddict reads every POST as a form and refuses one without a Content-Type. A POST that
/// carries no body at all is given the form type it would have had, so it reads as an empty form;
/// so is one whose empty body came with another type (a browser's fetch with body '' sends text/plain).
/// </summary>
public static class BodylessUserInfoPosts
{
    public static IApplicationBuilder UseBodylessUserInfoPosts(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            var request = context.Request;
            if (HttpMethods.IsPost(request.Method)
                && request.Path.StartsWithSegments("/" + ProtocolPaths.UserInfo)
                && (request.ContentLength == 0 || context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == false))
            {
                request.ContentType = "application/x-www-form-urlencoded";
            }

            return next(context);
        });
}
