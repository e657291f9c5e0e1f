namespace Kosmo.Idp.Journey;

/// <summary>
/// A page that carries where the member goes once the journey is done (usually a relying app's
/// authorization request). The language switch reads it: a page redrawn after a form (an error
/// by a field) has an address without the form's values, and the switch must not lose the way back.
/// </summary>
public interface IReturnsToAnApp
{
    string? ReturnUrl { get; }

    /// <summary>What else the page's address must carry to show the same page again (the code page's method).</summary>
    IEnumerable<KeyValuePair<string, string?>> PageState => [];

    /// <summary>The page's own address, as a GET: its path, the way back to the app, and its state.</summary>
    string AddressAfterForm(HttpRequest request) =>
        request.PathBase + request.Path
        + QueryString.Create(PageState.Prepend(new("returnUrl", ReturnUrl)).Where(p => !string.IsNullOrEmpty(p.Value)));
}
