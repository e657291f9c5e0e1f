using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;

namespace Kosmo.Idp.Tests.Infrastructure;

/// <summary>A page's form as a browser would submit it: its hidden fields (antiforgery token included) plus what the test types.</summary>
public static class HtmlForm
{
    public static async Task<IHtmlDocument> ParseAsync(HttpResponseMessage response) =>
        await new HtmlParser().ParseDocumentAsync(await response.Content.ReadAsStringAsync());

    /// <summary>
    /// Submits the first form in the page's main content (the header's language switch is a form
    /// too), or the one <paramref name="formSelector"/> names; <paramref name="button"/> picks a
    /// submit button whose formaction and name/value a browser would send.
    /// </summary>
    public static async Task<HttpResponseMessage> SubmitAsync(
        HttpClient browser, HttpResponseMessage page, IDictionary<string, string> typed, string? formSelector = null, string? button = null)
    {
        var document = await ParseAsync(page);
        var form = (IHtmlFormElement?)document.QuerySelector(formSelector ?? "main form")
            ?? throw new AssertionException("The page has no form: " + document.Title);
        var fields = form.QuerySelectorAll("input[type=hidden]").Cast<IHtmlInputElement>()
            .Where(i => !string.IsNullOrEmpty(i.Name))
            .ToDictionary(i => i.Name!, i => i.Value);
        foreach (var (name, value) in typed)
        {
            fields[name] = value;
        }

        var submit = button is null ? null : form.QuerySelector(button) ?? throw new AssertionException($"No button {button} in the form.");
        if (submit?.GetAttribute("name") is { Length: > 0 } buttonName)
        {
            fields[buttonName] = submit.GetAttribute("value") ?? "";
        }

        var target = submit?.GetAttribute("formaction") is { Length: > 0 } formAction ? formAction : form.GetAttribute("action");
        var action = string.IsNullOrEmpty(target) ? page.RequestMessage!.RequestUri! : new Uri(page.RequestMessage!.RequestUri!, target);
        return await browser.PostAsync(action, new FormUrlEncodedContent(fields));
    }
}
