using Kosmo.Idp.Journey.Otp;
using System.Text.RegularExpressions;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kosmo.Idp.Tests.Browser;

/// <summary>
/// The provider's account page in a real browser, in Japanese and in English: a member signed in on a PC and on a
/// phone adds a second authenticator app on the PC, removes it again, and signs out every other
/// device, after which the phone's session on the provider is gone and the PC's is not.
/// </summary>
public sealed class AccountBrowserTests : BrowserTests
{
    private const string Password = "Account-Browser-2026";
    private const string FirstDevice = "私のスマートフォン";
    private const string SecondDevice = "タブレット";

    [TestCase("ja")]
    [TestCase("en")]
    public async Task OnTheAccountPage_ASecondAppIsAddedAndRemoved_AndSigningOutOtherDevicesEndsThePhonesSessionOnly(string language)
    {
        var userId = "K0001" + language.ToUpperInvariant();
        var (key, _) = await AuthenticatorApp.AddMemberAsync(Host.Provider, userId, Password, "健保 七海", FirstDevice);
        // The Japanese run illustrates the member guide's account section.
        await using var session = new BrowserSession(guide: language == "ja" ? MemberPages.GuideSet("account", "ja") : null);
        var pages = new MemberPages(Host, session, language);
        var pc = await session.NewDeviceAsync(Device.Desktop);
        var phone = await session.NewDeviceAsync(Device.Phone);

        // Signed in through the portal on both: two sessions on the provider, one per browser.
        await pages.SignInAsync(pc, userId, Password);
        var pcStep = await EnterAppCodeAsync(pages, pc, key, "otp-app", after: -1);
        await pages.OnPortalTopPageAsync(pc, "健保 七海");

        await pages.OpenPortalAsync(phone, "phone-login");
        await pages.LogInAsync(phone, userId, Password);
        // The PC's code is used up: the phone's must come from a later step.
        await EnterAppCodeAsync(pages, phone, key, "phone-otp-app", after: pcStep);
        await pages.OnPortalTopPageAsync(phone, "健保 七海", "phone-portal-top");

        // The PC opens the provider's account page from the portal's link: one app.
        await pc.GetByRole(AriaRole.Link, new() { Name = "アカウント設定", Exact = true }).ClickAsync();
        await Expect(pc).ToHaveURLAsync(Host.Issuer + "account");
        await Expect(pages.Heading(pc, "Account.Title")).ToBeVisibleAsync();
        await Expect(DeviceNames(pc)).ToHaveTextAsync([FirstDevice]);
        await Expect(pc.GetByText(pages.T("Account.RecoveryLeft", RecoveryCodes.Count))).ToBeVisibleAsync();
        await pages.CheckPageAsync(pc, "account");

        // 認証アプリを追加する: the setup page, its QR code read as the tablet's camera would.
        await pc.GetByRole(AriaRole.Link, new() { Name = pages.T("Account.AddDevice"), Exact = true }).ClickAsync();
        await Expect(pages.Heading(pc, "OtpSetup.Title")).ToBeVisibleAsync();
        await Expect(pc).ToHaveURLAsync(new Regex("/journey/otp-setup/app"));
        var secondKey = AuthenticatorApp.SecretOf(await QrCodes.ReadFromScreenAsync(pc.Locator("#otp-qr")));
        Assert.That(secondKey, Is.Not.EqualTo(key), "a new device gets a key of its own");
        await pages.CheckPageAsync(pc, "account-add-device");
        var (code, _) = await AuthenticatorApp.FreshCodeAsync(secondKey);
        await pages.Field(pc, "OtpSetup.CodeLabel").FillAsync(code);
        await pages.Field(pc, "OtpSetup.DeviceName").FillAsync(SecondDevice);
        await pages.Button(pc, "Otp.Submit").ClickAsync();

        // Back on the account page with both apps, told so.
        await Expect(pc).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("^" + System.Text.RegularExpressions.Regex.Escape(Host.Issuer + "account?done=device-added&proof=")));
        await Expect(pc.Locator("#account-notice")).ToHaveTextAsync(pages.T("Account.DeviceAdded.Notice"));
        await Expect(DeviceNames(pc)).ToHaveTextAsync([FirstDevice, SecondDevice]);
        await pages.CheckPageAsync(pc, "account-two-devices");

        // 削除 on the tablet's row opens the question, 削除する answers it: each names its device for a screen reader.
        var ofTablet = @"\s*" + Regex.Escape(pages.T("Account.OfDevice", SecondDevice).Trim()) + "$";
        var removeTablet = pc.Locator("details.remove-device summary").Filter(new() { HasTextRegex = new Regex(Regex.Escape(pages.T("Account.Remove")) + ofTablet) });
        await removeTablet.ClickAsync();
        await Expect(pc.GetByText(pages.T("Account.RemoveConfirm", SecondDevice))).ToBeVisibleAsync();
        await pages.CheckPageAsync(pc, "account-remove-device");
        // やめる leaves both apps, and the question closed.
        await pc.GetByRole(AriaRole.Link, new() { NameRegex = new Regex("^" + Regex.Escape(pages.T("Account.RemoveCancel")) + ofTablet) }).ClickAsync();
        await Expect(pc.GetByText(pages.T("Account.RemoveConfirm", SecondDevice))).Not.ToBeVisibleAsync();
        await Expect(DeviceNames(pc)).ToHaveTextAsync([FirstDevice, SecondDevice]);
        await removeTablet.ClickAsync();
        await pc.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^" + Regex.Escape(pages.T("Account.RemoveConfirmButton")) + ofTablet) }).ClickAsync();
        await Expect(pc.Locator("#account-notice")).ToHaveTextAsync(pages.T("Account.DeviceRemoved"));
        await Expect(DeviceNames(pc)).ToHaveTextAsync([FirstDevice]);
        await pages.CheckPageAsync(pc, "account-device-removed");

        await pages.Button(pc, "Account.SignOutOthers").ClickAsync();
        await Expect(pc.Locator("#account-notice")).ToHaveTextAsync(pages.T("Account.SignedOutOthers"));
        await pages.CheckPageAsync(pc, "account-signed-out-others");

        // The phone's session on the provider is over: its account page asks for the password.
        await phone.GotoAsync(Host.Issuer + "account");
        await Expect(phone).ToHaveURLAsync(new Regex("^" + Regex.Escape(Host.Issuer + "login")));
        await Expect(pages.Heading(phone, "Login.Title")).ToBeVisibleAsync();
        await pages.CheckPageAsync(phone, "phone-signed-out");

        // The phone's portal session ended with it: the provider told the portal (back-channel logout).
        await phone.GotoAsync(Host.Portal.Url.ToString());
        await Expect(phone).ToHaveURLAsync(new Regex("^" + Regex.Escape(Host.Issuer + "login")));

        // The PC, which pressed the button, is still signed in.
        await pc.GotoAsync(Host.Issuer + "account");
        await Expect(pc).ToHaveURLAsync(Host.Issuer + "account");
        await Expect(pages.Heading(pc, "Account.Title")).ToBeVisibleAsync();
        await Expect(DeviceNames(pc)).ToHaveTextAsync([FirstDevice]);
        await pages.CheckPageAsync(pc, "account-still-signed-in");
        await pc.GotoAsync(Host.Portal.Url.ToString());
        await pages.OnPortalTopPageAsync(pc, "健保 七海", "portal-still-signed-in");
    }

    private static ILocator DeviceNames(IPage page) => page.Locator("#devices li strong");

    /// <summary>On the app's one-time-password page: its picture, then the app's code typed in; returns the code's step.</summary>
    private static async Task<long> EnterAppCodeAsync(MemberPages pages, IPage page, string key, string shot, long after)
    {
        await Expect(pages.Heading(page, "Otp.AppTitle")).ToBeVisibleAsync();
        await pages.CheckPageAsync(page, shot);
        var (code, step) = await AuthenticatorApp.FreshCodeAsync(key, after);
        await pages.Field(page, "Otp.AppLabel").FillAsync(code);
        await pages.Button(page, "Otp.Submit").ClickAsync();
        return step;
    }
}
