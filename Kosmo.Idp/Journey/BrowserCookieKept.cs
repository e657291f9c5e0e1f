using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Journey;

/// <summary>
/// Every answer renews the session cookie it came with. A form that lost a race to the member's other
/// tab (which set a password, or an app, and signed the browser in anew) answers last, and its renewal
/// would put the session from before back in the browser: a member who just set up an app would be
/// asked for a code again, or sent to the login page. Such an answer leaves the browser's cookie alone.
/// </summary>
public static class BrowserCookieKept
{
    private static readonly object Marker = new();

    /// <summary>This answer does not renew the session cookie (it never signs in or out either).</summary>
    public static void ForThisAnswer(HttpContext context) => context.Items[Marker] = true;

    /// <summary>
    /// Before authentication: a callback registered earlier runs later, so this one sees the cookie
    /// handler's renewal once it has been added to the answer.
    /// </summary>
    public static WebApplication UseBrowserCookieKept(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                if (context.Items.ContainsKey(Marker))
                {
                    var name = context.RequestServices.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(MemberSession.Scheme).Cookie.Name!;
                    // The cookie itself, or one of its chunks (name + "C1", …) when it is large.
                    context.Response.Headers.SetCookie = context.Response.Headers.SetCookie
                        .Where(header => header is not null && !(header.StartsWith(name + "=", StringComparison.Ordinal)
                            || (header.StartsWith(name + "C", StringComparison.Ordinal) && header.Length > name.Length + 1 && char.IsAsciiDigit(header[name.Length + 1]))))
                        .ToArray();
                }

                return Task.CompletedTask;
            });
            return next(context);
        });
        return app;
    }
}
