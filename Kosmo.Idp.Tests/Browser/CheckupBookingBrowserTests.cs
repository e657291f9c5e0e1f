using System.Text.RegularExpressions;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kosmo.Idp.Tests.Browser;

/// <summary>
/// The public checkup-booking app signs members in from JavaScript with oidc-client-ts (code flow
/// and PKCE, no secret): it needs the provider's CORS answers for discovery, the token endpoint
/// and userinfo, and its session is the same provider session the portal uses.
/// </summary>
public sealed class CheckupBookingBrowserTests : BrowserTests
{
    private const string Password = "Checkup-Browser-2026";
    [Test]
    public async Task BrowserApp_SignsInWithCodeAndPkceFromScript_ReadsUserinfo_SharesTheSessionWithThePortal_AndSignsOutOfTheProvider()
    {
        await TestMembers.AddAsync(Host.Provider, "C0001", Password, "健保 五郎");
        await using var session = new BrowserSession();
        var pages = new MemberPages(Host, session);
        var pc = await session.NewDeviceAsync(Device.Desktop);

        // The app's own page, before anyone has signed in.
        await pc.GotoAsync(Host.Checkup.Url.ToString());
        await Expect(pc.GetByRole(AriaRole.Heading, new() { Name = CheckupBookingApp.Title, Level = 1 })).ToBeVisibleAsync();
        await pages.CheckPageAsync(pc, "checkup-signed-out");

        // Its button sends the browser to the provider's authorization endpoint, with PKCE.
        var authorize = pc.WaitForRequestAsync(new Regex("/connect/authorize\\?"));
        await pc.GetByRole(AriaRole.Button, new() { Name = "KOSMO Web でログイン" }).ClickAsync();
        var request = new Uri((await authorize).Url);
        Assert.That(request.Query, Does.Contain("client_id=checkup-booking").And.Contain("code_challenge_method=S256").And.Contain("code_challenge="));
        await pages.LogInAsync(pc, "C0001", Password);
        await Expect(pages.Heading(pc, "Otp.EmailTitle")).ToBeVisibleAsync();
        await pages.Field(pc, "Otp.EmailLabel").FillAsync(await pages.MailedCodeAsync("c0001@example.jp"));
        await pages.Button(pc, "Otp.Submit").ClickAsync();

        // Back in the app: the script redeemed the code and called userinfo with the access token.
        await Expect(pc).ToHaveURLAsync(Host.Checkup.Url.ToString(), new() { Timeout = 20_000 });
        await Expect(pc.GetByText("健保 五郎 様")).ToBeVisibleAsync();
        await Expect(pc.Locator("#userinfo-check")).ToContainTextAsync("userinfo: 確認済み (sub: ");
        await pages.CheckPageAsync(pc, "checkup-top");

        // One provider session: the portal signs the member in without a password or a code.
        await pc.GotoAsync(Host.Portal.Url.ToString());
        await pages.OnPortalTopPageAsync(pc, "健保 五郎");

        // The app's ログアウト goes through the provider's end-session endpoint and comes back.
        await pc.GotoAsync(Host.Checkup.Url.ToString());
        await pc.GetByRole(AriaRole.Button, new() { Name = "ログアウト" }).ClickAsync();
        await Expect(pc).ToHaveURLAsync(new Regex("^" + Regex.Escape(new Uri(Host.Checkup.Url, CheckupBookingApp.SignedOutPage).ToString())), new() { Timeout = 20_000 });
        await Expect(pc.GetByText("ログアウトしました。")).ToBeVisibleAsync();
        await session.ScreenshotAsync(pc, "checkup-signed-out-again");

        // The provider's session ended with it: signing in again asks for the password.
        await pc.GotoAsync(Host.Checkup.Url.ToString());
        await pc.GetByRole(AriaRole.Button, new() { Name = "KOSMO Web でログイン" }).ClickAsync();
        await Expect(pages.Heading(pc, "Login.Title")).ToBeVisibleAsync();
        session.AssertNoErrors();
    }
}
