using System.Text.RegularExpressions;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kosmo.Idp.Tests.Browser;

/// <summary>
/// The public checkup-booking app signs members in from JavaScript with oidc-client-ts (code flow
/// and PKCE, no secret): it needs the provider's CORS answers for discovery, the token endpoint
/// and userinfo, and its session is the same provider session the portal uses. In Japanese on a PC,
/// and on a phone by a member who switches the provider's pages to English.
/// </summary>
public sealed class CheckupBookingBrowserTests : BrowserTests
{
    private const string Password = "Checkup-Browser-2026";

    [TestCase("ja", Device.Desktop)]
    [TestCase("en", Device.Phone)]
    public async Task BrowserApp_SignsInWithCodeAndPkceFromScript_ReadsUserinfo_SharesTheSessionWithThePortal_AndSignsOutOfTheProvider(
        string language, Device device)
    {
        var userId = "C0001" + language.ToUpperInvariant();
        await TestMembers.AddAsync(Host.Provider, userId, Password, "健保 五郎");
        await using var session = new BrowserSession();
        var pages = new MemberPages(Host, session, language);
        var screen = await session.NewDeviceAsync(device);

        // The app's own page, before anyone has signed in.
        await screen.GotoAsync(Host.Checkup.Url.ToString());
        await Expect(screen.GetByRole(AriaRole.Heading, new() { Name = CheckupBookingApp.Title, Level = 1 })).ToBeVisibleAsync();
        await pages.CheckPageAsync(screen, "checkup-signed-out");

        // Its button sends the browser to the provider's authorization endpoint, with PKCE.
        var authorize = screen.WaitForRequestAsync(new Regex("/connect/authorize\\?"));
        await screen.GetByRole(AriaRole.Button, new() { Name = "KOSMO Web でログイン" }).ClickAsync();
        var request = new Uri((await authorize).Url);
        Assert.That(request.Query, Does.Contain("client_id=checkup-booking").And.Contain("code_challenge_method=S256").And.Contain("code_challenge="));
        await pages.ChooseLanguageAsync(screen);
        await pages.LogInAsync(screen, userId, Password);
        await Expect(pages.Heading(screen, "Otp.EmailTitle")).ToBeVisibleAsync();
        await pages.Field(screen, "Otp.EmailLabel").FillAsync(await pages.MailedCodeAsync(userId.ToLowerInvariant() + "@example.jp"));
        await pages.Button(screen, "Otp.Submit").ClickAsync();

        // Back in the app: the script redeemed the code and called userinfo with the access token.
        await Expect(screen).ToHaveURLAsync(Host.Checkup.Url.ToString(), new() { Timeout = 20_000 });
        await Expect(screen.GetByText("健保 五郎 様")).ToBeVisibleAsync();
        await Expect(screen.Locator("#userinfo-check")).ToContainTextAsync("userinfo: 確認済み (sub: ");
        await pages.CheckPageAsync(screen, "checkup-top");

        // One provider session: the portal signs the member in without a password or a code.
        await screen.GotoAsync(Host.Portal.Url.ToString());
        await pages.OnPortalTopPageAsync(screen, "健保 五郎");

        // The app's ログアウト goes through the provider's end-session endpoint and comes back.
        await screen.GotoAsync(Host.Checkup.Url.ToString());
        await screen.GetByRole(AriaRole.Button, new() { Name = "ログアウト" }).ClickAsync();
        await Expect(screen).ToHaveURLAsync(new Regex("^" + Regex.Escape(new Uri(Host.Checkup.Url, CheckupBookingApp.SignedOutPage).ToString())), new() { Timeout = 20_000 });
        await Expect(screen.GetByText("ログアウトしました。")).ToBeVisibleAsync();
        await session.ScreenshotAsync(screen, "checkup-signed-out-again");

        // The provider's session ended with it: signing in again asks for the password.
        await screen.GotoAsync(Host.Checkup.Url.ToString());
        await screen.GetByRole(AriaRole.Button, new() { Name = "KOSMO Web でログイン" }).ClickAsync();
        await Expect(pages.Heading(screen, "Login.Title")).ToBeVisibleAsync();
        session.AssertNoErrors();
    }
}
