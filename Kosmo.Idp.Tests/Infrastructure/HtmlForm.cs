using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;

namespace Kosmo.Idp.Tests.Infrastructure;

/// <summary>A page's form as a browser would submit it: its hidden fields (antiforgery token included) plus what the test types.</summary>
public static class HtmlForm
{
    public static async Task<IHtmlDocument> ParseAsync(HttpResponseMessage response) =>
        await new HtmlParser().ParseDocumentAsync(await response.Content.ReadAsStringAsync());

    public static async Task<HttpResponseMessage> SubmitAsync(
        HttpClient browser, HttpResponseMessage page, IDictionary<string, string> typed, string? formSelector = null)
    {
        var document = await ParseAsync(page);
        var form = (IHtmlFormElement?)document.QuerySelector(formSelector ?? "form")
            ?? throw new AssertionException("The page has no form: " + document.Title);
        var fields = form.QuerySelectorAll("input[type=hidden]").Cast<IHtmlInputElement>()
            .Where(i => !string.IsNullOrEmpty(i.Name))
            .ToDictionary(i => i.Name!, i => i.Value);
        foreach (var (name, value) in typed)
        {
            fields[name] = value;
        }

        var action = string.IsNullOrEmpty(form.GetAttribute("action")) ? page.RequestMessage!.RequestUri! : new Uri(page.RequestMessage!.RequestUri!, form.GetAttribute("action"));
        return await browser.PostAsync(action, new FormUrlEncodedContent(fields));
    }
}
