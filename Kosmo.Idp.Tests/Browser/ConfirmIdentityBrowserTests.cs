using System.Text.RegularExpressions;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kosmo.Idp.Tests.Browser;

/// <summary>
/// 本人確認 in a real browser: a member whose sign-in is older than Account:RecentSignIn (10 seconds
/// here, 15 minutes in production) presses 認証アプリを追加する, types a wrong password and then the
/// right one and a mailed code, and arrives on the setup page they were going to. Then a sign-out
/// link without id_token_hint asks before it signs the member out.
/// </summary>
public sealed class ConfirmIdentityBrowserTests : BrowserTests
{
    private const string Password = "Confirm-Browser-2026";
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    protected override IDictionary<string, string?>? Settings { get; } =
        new Dictionary<string, string?> { ["Account:RecentSignIn"] = Window.ToString() };

    [TestCase("ja", Device.Desktop, "C0001")]
    [TestCase("en", Device.Phone, "C0011")]
    public async Task AnOlderSignIn_ConfirmsWithThePasswordAndAMailedCode_BeforeAddingAnApp(string language, Device device, string userId)
    {
        var address = userId.ToLowerInvariant() + "@example.jp";
        await TestMembers.AddAsync(Host.Provider, userId, Password, "健保 八郎");
        await using var session = new BrowserSession(guide: MemberPages.GuideSet("confirm", language));
        var pages = new MemberPages(Host, session, language);
        var page = await session.NewDeviceAsync(device);
        await pages.SignInAsync(page, userId, Password);
        await pages.Field(page, "Otp.EmailLabel").FillAsync(await pages.MailedCodeAsync(address, 1));
        await pages.Button(page, "Otp.Submit").ClickAsync();
        await pages.OnPortalTopPageAsync(page, "健保 八郎");

        // The account page once the sign-in is older than the window: it says what will be asked.
        await Task.Delay(Window + TimeSpan.FromSeconds(1));
        await page.GotoAsync(Host.Issuer + "account");
        await Expect(page.Locator("#confirm-hint")).ToHaveTextAsync(pages.T("Account.ConfirmHint"));
        await pages.CheckPageAsync(page, "account-confirm-hint");

        await page.GetByRole(AriaRole.Link, new() { Name = pages.T("Account.AddDevice"), Exact = true }).ClickAsync();
        await Expect(pages.Heading(page, "Confirm.Title")).ToBeVisibleAsync();
        await pages.CheckPageAsync(page, "confirm");

        // A wrong password first: the message sits by the field.
        await pages.Field(page, "Login.Password").FillAsync("not-my-password");
        await pages.Button(page, "Common.Next").ClickAsync();
        await Expect(page.Locator("#password-error")).ToHaveTextAsync(pages.T("Confirm.Wrong"));
        await pages.CheckPageAsync(page, "confirm-wrong");

        // The right one, then a code by mail, as at login.
        await pages.Field(page, "Login.Password").FillAsync(Password);
        await pages.Button(page, "Common.Next").ClickAsync();
        await Expect(pages.Heading(page, "Otp.EmailTitle")).ToBeVisibleAsync();
        await pages.CheckPageAsync(page, "confirm-otp-email");
        await pages.Field(page, "Otp.EmailLabel").FillAsync(await pages.MailedCodeAsync(address, 2));
        await pages.Button(page, "Otp.Submit").ClickAsync();

        // Where the member was going: the app's setup page.
        await Expect(pages.Heading(page, "OtpSetup.Title")).ToBeVisibleAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/journey/otp-setup/app"));
        await pages.CheckPageAsync(page, "confirmed-app-setup");

        // A sign-out link without id_token_hint (any site could show one) asks before it signs out.
        await page.GotoAsync(Host.Issuer + "connect/endsession");
        await Expect(pages.Heading(page, "Logout.Title")).ToBeVisibleAsync();
        await pages.CheckPageAsync(page, "logout-question");
        await pages.Button(page, "Logout.Confirm").ClickAsync();
        await Expect(pages.Heading(page, "SignedOut.Title")).ToBeVisibleAsync();
    }
}
