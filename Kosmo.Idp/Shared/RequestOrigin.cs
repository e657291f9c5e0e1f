namespace Kosmo.Idp.Shared;

/// <summary>
/// Where a request was started, as far as the browser tells it (Sec-Fetch-Site, which pages cannot
/// forge). Used where a request does something the member did not necessarily ask for.
/// </summary>
public static class RequestOrigin
{
    private const string FetchSite = "Sec-Fetch-Site";

    /// <summary>
    /// A form post from one of our pages: Sec-Fetch-Site, or else Origin (older browsers). A request
    /// with neither proves nothing.
    /// </summary>
    public static bool IsFromOwnPage(HttpRequest request)
    {
        var site = request.Headers[FetchSite].ToString();
        if (site.Length > 0)
        {
            return site == "same-origin";
        }

        var origin = request.Headers.Origin.ToString();
        return origin.Length > 0 && string.Equals(origin, $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// A page opened by another site (a link, window.open, a redirect chain that began elsewhere),
    /// which the member may never see: such a visit must not change anything by itself. A browser
    /// that does not say (older ones; programs) is taken at its word, as it always was.
    /// </summary>
    public static bool IsOpenedByAnotherSite(HttpRequest request) =>
        request.Headers[FetchSite].ToString() is { Length: > 0 } site && site is not ("same-origin" or "none");
}
