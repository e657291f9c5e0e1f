using System.Diagnostics;
using System.Globalization;
using System.Resources;
using System.Text.RegularExpressions;
using Kosmo.Idp.Localization;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kosmo.Idp.Tests.Browser;

/// <summary>
/// What every browser test does on the way through: opens the portal, signs in, checks and
/// photographs each page, reads the member's mail. The provider's words come from its own
/// resources in the member's language, so one test reads the same in Japanese and English.
/// </summary>
public sealed class MemberPages(BrowserHost host, BrowserSession session, string language = LocalizationRegistration.Japanese)
{
    private static readonly ResourceManager Resources = new("Kosmo.Idp.Localization.Strings", typeof(Strings).Assembly);
    private readonly CultureInfo _culture = CultureInfo.GetCultureInfo(language);

    public string Language => language;

    public bool English => language == LocalizationRegistration.English;

    /// <summary>The provider's text for the key in the member's language, formatted like the page formats it.</summary>
    public string T(string key, params object[] args)
    {
        var text = Resources.GetString(key, _culture) ?? throw new ArgumentException($"No string {key}.", nameof(key));
        return args.Length == 0 ? text : string.Format(_culture, text, args);
    }

    /// <summary>
    /// The provider's text for the key as a pattern: each placeholder stands for the regular
    /// expression given for it (say <c>\d+</c> for a count the test doesn't pin down).
    /// </summary>
    public Regex Matching(string key, params string[] patterns)
    {
        var marks = patterns.Select((_, i) => $"\u0001{i}\u0001").ToArray();
        var pattern = Regex.Escape(T(key, marks));
        for (var i = 0; i < patterns.Length; i++)
        {
            pattern = pattern.Replace(Regex.Escape(marks[i]), patterns[i], StringComparison.Ordinal);
        }

        return new Regex(pattern);
    }

    /// <summary>The member guide's picture set of a test run in a language: docs/member-guide/&lt;name&gt;-&lt;language&gt;/.</summary>
    public static string GuideSet(string name, string language) => name + "-" + language;

    public ILocator Heading(IPage page, string key) =>
        page.GetByRole(AriaRole.Heading, new() { Name = T(key), Exact = true });

    public ILocator Button(IPage page, string key) =>
        page.GetByRole(AriaRole.Button, new() { Name = T(key), Exact = true });

    public ILocator Field(IPage page, string key) => page.GetByLabel(T(key), new() { Exact = true });

    /// <summary>
    /// The portal sends the member to the provider's login page, where a member who reads English
    /// presses the language switch (the choice stays in a cookie for the rest of the visit).
    /// </summary>
    public async Task OpenPortalAsync(IPage page, string shot = "login")
    {
        await page.GotoAsync(host.Portal.Url.ToString());
        await Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(host.Issuer + "login")));
        await ChooseLanguageAsync(page);
        await Expect(Heading(page, "Login.Title")).ToBeVisibleAsync();
        await CheckPageAsync(page, shot);
    }

    /// <summary>Presses the switch in the header when the member reads English; Japanese is every page's default.</summary>
    public async Task ChooseLanguageAsync(IPage page)
    {
        if (English)
        {
            await page.GetByRole(AriaRole.Button, new() { Name = "English", Exact = true }).ClickAsync();
            await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "en");
        }
    }

    /// <summary>From the portal to the provider's login page, and the user ID and password typed in.</summary>
    public async Task SignInAsync(IPage page, string userId, string password)
    {
        await OpenPortalAsync(page);
        await LogInAsync(page, userId, password);
    }

    /// <summary>On the provider's login page: the user ID and password typed in and sent.</summary>
    public async Task LogInAsync(IPage page, string userId, string password)
    {
        await Expect(Heading(page, "Login.Title")).ToBeVisibleAsync();
        await Field(page, "Login.UserId").FillAsync(userId);
        await Field(page, "Login.Password").FillAsync(password);
        await Button(page, "Login.Submit").ClickAsync();
    }

    /// <summary>Every page passed through, the provider's or an app's: a screenshot, no console error so far, no serious accessibility violation.</summary>
    public async Task CheckPageAsync(IPage page, string name)
    {
        await session.ScreenshotAsync(page, name);
        await BrowserSession.AssertAccessibleAsync(page);
    }

    /// <summary>The portal's top page (manual p.13), its API having validated the access token against the JWKS.</summary>
    public async Task OnPortalTopPageAsync(IPage page, string memberName, string shot = "portal-top")
    {
        await Expect(page).ToHaveURLAsync(host.Portal.Url.ToString(), new() { Timeout = 20_000 });
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = PortalApp.SocietyName, Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByText(memberName + " 様")).ToBeVisibleAsync();
        await Expect(page.Locator("#api-check")).ToContainTextAsync(PortalApp.ApiConfirmed + " (sub: ");
        await CheckPageAsync(page, shot);
        session.AssertNoErrors();
    }

    /// <summary>
    /// ログアウト on the portal, its signed-out page, then もう一度ログインする: the portal sends the
    /// member to the provider again, which must ask for the password; had the logout ended only the
    /// portal's cookie, the provider's session would send the member straight back signed in.
    /// </summary>
    public async Task LogOutOfThePortalAsync(IPage page)
    {
        await page.GetByRole(AriaRole.Link, new() { Name = "ログアウト", Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(host.Portal.Url + "signed-out");
        await Expect(page.GetByText("ログアウトしました。")).ToBeVisibleAsync();
        await CheckPageAsync(page, "portal-signed-out");

        await page.GetByRole(AriaRole.Link, new() { Name = "もう一度ログインする", Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(host.Issuer + "login")));
        // In the language chosen before the logout: the member is not thrown back into Japanese.
        await Expect(Heading(page, "Login.Title")).ToBeVisibleAsync();
        await CheckPageAsync(page, "login-again");
    }

    /// <summary>The count-th mail (1 = the first) to the address whose subject holds the text, waiting a little for it.</summary>
    public async Task<CaughtMail> MailAsync(string to, string subject, int count)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var mails = host.Provider.Mail.To(to).Where(m => m.Subject.Contains(subject, StringComparison.Ordinal)).ToList();
            if (mails.Count >= count)
            {
                return mails[count - 1];
            }

            if (clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                throw new AssertionException($"{mails.Count} mail(s) “{subject}” to {to}, expected {count}.");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>The code in the count-th one-time-password mail to the address (1 = the first), waiting a little for it.</summary>
    public async Task<string> MailedCodeAsync(string to, int count = 1) =>
        OtpMail.CodeIn(await MailAsync(to, "ワンタイムパスワード", count));
}
