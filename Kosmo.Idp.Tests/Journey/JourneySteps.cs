using System.Net;
using System.Text.RegularExpressions;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Kosmo.Idp.Tests.Journey;

/// <summary>What a member does on each page of the first-login journey, as a browser would.</summary>
public static partial class JourneySteps
{
    public static async Task<HttpResponseMessage> FollowAsync(HttpClient browser, HttpResponseMessage response)
    {
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), "expected a redirect, got " + response.StatusCode);
        return await browser.GetAsync(response.Headers.Location);
    }

    public static string PathOf(HttpResponseMessage response) =>
        response.Headers.Location?.OriginalString.Split('?')[0] ?? "(no redirect: " + response.StatusCode + ")";

    public static async Task<HttpResponseMessage> LoginAsync(HttpClient browser, string userId, string password, string url = "/login")
    {
        var page = await browser.GetAsync(url);
        return await HtmlForm.SubmitAsync(browser, page, new Dictionary<string, string> { ["UserId"] = userId, ["Password"] = password });
    }

    /// <summary>Submits the form of the page the redirect leads to.</summary>
    public static async Task<HttpResponseMessage> SubmitNextAsync(
        HttpClient browser, HttpResponseMessage redirect, IDictionary<string, string> typed, string? button = null)
    {
        var page = await FollowAsync(browser, redirect);
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK), page.RequestMessage!.RequestUri!.ToString());
        return await HtmlForm.SubmitAsync(browser, page, typed, button: button);
    }

    /// <summary>A roster member (initial password 900919700101) whose birthdate and terms are done, signed in and at the email step.</summary>
    public static async Task<HttpClient> AtTheEmailStepAsync(KosmoFactory factory, string userId)
    {
        await TestMembers.AddFromRosterAsync(factory, userId, "900", "9", new DateOnly(1970, 1, 1));
        await TestMembers.WithDbAsync(factory, async db =>
        {
            var member = await db.Members.SingleAsync(m => m.UserId == userId);
            member.BirthDateConfirmedAt = DateTimeOffset.UtcNow;
            member.AcceptedTermsVersion = "2026-04-01";
            return await db.SaveChangesAsync();
        });
        var browser = factory.Browser();
        Assert.That(PathOf(await LoginAsync(browser, userId, "900919700101")), Is.EqualTo("/journey/email"));
        return browser;
    }

    public static string LinkIn(CaughtMail mail)
    {
        var match = LinkPattern().Match(mail.Text);
        Assert.That(match.Success, "the mail holds a verification link: " + mail.Text);
        return match.Value;
    }

    /// <summary>The recovery codes the page shows, as the member copies them down.</summary>
    public static async Task<IReadOnlyList<string>> RecoveryCodesOnAsync(HttpResponseMessage page) =>
        (await HtmlForm.ParseAsync(page)).QuerySelectorAll("#recovery-codes code").Select(c => c.TextContent).ToList();

    /// <summary>The text of the element with this id (a message by its field), or null when the page has none.</summary>
    public static string? ErrorOn(string html, string id) =>
        new AngleSharp.Html.Parser.HtmlParser().ParseDocument(html).GetElementById(id)?.TextContent.Trim();

    [GeneratedRegex(@"http://localhost/journey/email/verify\?token=[A-Za-z0-9_\-]+")]
    private static partial Regex LinkPattern();
}
