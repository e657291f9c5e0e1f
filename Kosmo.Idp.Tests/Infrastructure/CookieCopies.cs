using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;

namespace Kosmo.Idp.Tests.Infrastructure;

/// <summary>
/// Browsers whose cookies a test can read and copy: a form sent twice carries the cookie the
/// browser had when it was sent, and a stolen cookie is a copy without the rest of the browser.
/// </summary>
public static class CookieCopies
{
    private static readonly Uri Site = new("http://localhost");

    /// <summary>A browser (redirects not followed) whose cookies are in <paramref name="cookies"/>.</summary>
    public static HttpClient BrowserWithJar(this KosmoFactory factory, out CookieContainer cookies)
    {
        cookies = new CookieContainer();
        return factory.CreateDefaultClient(Site, new CookieContainerHandler(cookies));
    }

    /// <summary>The Cookie header the browser sends now.</summary>
    public static string Header(this CookieContainer cookies) => cookies.GetCookieHeader(Site);

    /// <summary>A browser that sends exactly <paramref name="cookies"/> (a Cookie header) and keeps none it is sent: a copy of another's cookies.</summary>
    public static HttpClient WithCookies(this KosmoFactory factory, string cookies)
    {
        var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        client.DefaultRequestHeaders.Add("Cookie", cookies);
        return client;
    }

    /// <summary>A client with the session cookie <paramref name="answer"/> set, or else the one it was sent with.</summary>
    public static HttpClient WithSessionFrom(this KosmoFactory factory, HttpResponseMessage answer, string sentWith)
    {
        var renewed = answer.Headers.TryGetValues("Set-Cookie", out var set) ? set.FirstOrDefault(c => c.StartsWith("kosmo_session=", StringComparison.Ordinal)) : null;
        return factory.WithCookies(renewed?.Split(';')[0] ?? sentWith);
    }
}
