using System.Diagnostics;
using System.Text.RegularExpressions;
using Kosmo.Idp.Members;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using OtpNet;
using static Microsoft.Playwright.Assertions;

namespace Kosmo.Idp.Tests.Browser;

/// <summary>
/// Manual section 2 in a real browser, each from the portal's sign-in to its top page: the mailed
/// one-time password (2-1) and setting up an authenticator app by its key on a phone (2-2), by
/// scanning the QR code (2-3) and by the saved PNG (2-4). The provider runs on the real clock, so
/// the TOTP codes are computed for now.
/// </summary>
public sealed partial class OtpBrowserTests : BrowserTests
{
    private const string Password = "Otp-Browser-2026";

    // No cooldown, so 再送信 can be pressed right after the first mail.
    protected override IDictionary<string, string?>? Settings { get; } =
        new Dictionary<string, string?> { ["Otp:EmailResendCooldown"] = "00:00:00" };

    [TestCase("ja", Device.Desktop, "M0001")]
    [TestCase("en", Device.Phone, "M0011")]
    public async Task EmailOtp_AWrongCodeShowsTheTriesLeft_ResendMailsANewCode_AndTheNewestCodeSignsIn(string language, Device device, string userId)
    {
        var address = userId.ToLowerInvariant() + "@example.jp";
        await TestMembers.AddAsync(Host.Provider, userId, Password, "健保 一郎");
        await using var session = new BrowserSession(guide: MemberPages.GuideSet("otp-email", language));
        var pages = new MemberPages(Host, session, language);
        var page = await session.NewDeviceAsync(device);
        await pages.SignInAsync(page, userId, Password);

        await Expect(pages.Heading(page, "Otp.EmailTitle")).ToBeVisibleAsync();
        await pages.CheckPageAsync(page, "otp-email");
        var first = await pages.MailedCodeAsync(address, 1);

        // A wrong code: the error says how many tries are left.
        var wrong = first == "000000" ? "111111" : "000000";
        await pages.Field(page, "Otp.EmailLabel").FillAsync(wrong);
        await pages.Button(page, "Otp.Submit").ClickAsync();
        await Expect(page.Locator("#otp-error")).ToContainTextAsync(pages.Matching("Otp.Wrong", @"\d+"));
        await Expect(pages.Field(page, "Otp.EmailLabel")).ToBeFocusedAsync(new() { Timeout = 5_000 }); // the refused field, its message read out with it
        await pages.CheckPageAsync(page, "otp-email-wrong");

        // 再送信: a second mail with a new code, sent to the address the page shows masked.
        await pages.Button(page, "Otp.Resend").ClickAsync();
        var newest = await pages.MailedCodeAsync(address, 2);
        await Expect(page.Locator("#otp-notice")).ToContainTextAsync(pages.Matching("Otp.Resent", Regex.Escape(address[..2] + "***@example.jp"), @"\d+"));
        await pages.CheckPageAsync(page, "otp-email-resent");

        // A double click, as many members submit: the form goes once, so the second request cannot
        // find the code used and answer with an error page (or a session without the code).
        await pages.Field(page, "Otp.EmailLabel").FillAsync(newest);
        await pages.Button(page, "Otp.Submit").DblClickAsync();

        await pages.OnPortalTopPageAsync(page, "健保 一郎");
    }

    [TestCase("ja", "M0002")]
    [TestCase("en", "M0012")]
    public async Task AppOtp_OnAPhone_TheCopiedKeySetsUpTheApp(string language, string userId)
    {
        await using var session = new BrowserSession(guide: MemberPages.GuideSet("otp-app-phone", language));
        var pages = new MemberPages(Host, session, language);
        var phone = await session.NewDeviceAsync(Device.Phone);
        await phone.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = Host.Issuer.GetLeftPart(UriPartial.Authority) });

        await SetUpAppAsync(pages, session, phone, userId, "健保 二郎", async () =>
        {
            // スキャンできませんか? opens the key and its copy button.
            await phone.GetByText(pages.T("OtpSetup.CannotScan"), new() { Exact = true }).ClickAsync();
            await Expect(phone.Locator("#otp-key")).ToBeVisibleAsync();
            await pages.CheckPageAsync(phone, "otp-setup-key");
            await pages.Button(phone, "OtpSetup.Copy").ClickAsync();
            await Expect(phone.Locator("#otp-key-copy")).ToHaveTextAsync(pages.T("OtpSetup.Copied"));
            await Expect(phone.Locator("#otp-key-copied")).ToHaveTextAsync(pages.T("OtpSetup.Copied")); // read out by a screen reader
            await Expect(phone.Locator("#otp-key-copy")).ToHaveTextAsync(pages.T("OtpSetup.Copy"), new() { Timeout = 10_000 }); // says again what it does
            var copied = await phone.EvaluateAsync<string>("() => navigator.clipboard.readText()");
            var shown = await phone.Locator("#otp-key").InnerTextAsync();
            Assert.That(copied, Is.EqualTo(Regex.Replace(shown, @"\s+", "")), "the button copies the key without its spaces");
            return copied;
        }, code => code);
    }

    [TestCase("ja", "M0003")]
    [TestCase("en", "M0013")]
    public async Task AppOtp_OnThePc_TheQrCodeOnTheScreenSetsUpTheApp(string language, string userId)
    {
        await using var session = new BrowserSession(guide: MemberPages.GuideSet("otp-app-qr", language));
        var pc = await session.NewDeviceAsync(Device.Desktop);
        await SetUpAppAsync(new MemberPages(Host, session, language), session, pc, userId, "健保 三郎", async () =>
        {
            var qr = pc.Locator("#otp-qr");
            var uri = await QrCodes.ReadFromScreenAsync(qr);
            // Shown unscaled on a PC, so each module covers whole pixels (sharp for a camera).
            Assert.That(await qr.EvaluateAsync<bool>("img => img.width === img.naturalWidth && img.height === img.naturalHeight"), Is.True);
            return AuthenticatorApp.SecretOf(uri);
        }, code => code);
    }

    [TestCase("ja", "M0004")]
    [TestCase("en", "M0014")]
    public async Task AppOtp_OnThePc_TheSavedPngSetsUpTheApp_WithTheCodeTypedWithASpace(string language, string userId)
    {
        await using var session = new BrowserSession();
        var pc = await session.NewDeviceAsync(Device.Desktop);
        var pages = new MemberPages(Host, session, language);
        await SetUpAppAsync(pages, session, pc, userId, "健保 四郎", async () =>
        {
            var download = await pc.RunAndWaitForDownloadAsync(() =>
                pc.GetByRole(AriaRole.Link, new() { Name = pages.T("OtpSetup.Download") }).ClickAsync());
            Assert.That(download.SuggestedFilename, Is.EqualTo("kosmo-web-otp.png"));
            var saved = Path.Combine(Path.GetTempPath(), "kosmo-otp-" + Guid.NewGuid().ToString("N") + ".png");
            try
            {
                await download.SaveAsAsync(saved);
                return AuthenticatorApp.SecretOf(QrCodes.Decode(await File.ReadAllBytesAsync(saved)));
            }
            finally
            {
                File.Delete(saved);
            }
        }, code => code[..3] + " " + code[3..]);
    }

    /// <summary>
    /// A member who must set up an app signs in through the portal, reads the key on the setup page
    /// the test's way, types the current code (formatted the test's way) and a device name, keeps the
    /// recovery codes and lands on the portal's top page.
    /// </summary>
    private async Task SetUpAppAsync(MemberPages pages, BrowserSession session, IPage page, string userId, string name, Func<Task<string>> readKey, Func<string, string> format)
    {
        await AddMemberWhoMustSetUpAnAppAsync(userId, name);
        await pages.SignInAsync(page, userId, Password);

        await Expect(pages.Heading(page, "OtpSetup.Title")).ToBeVisibleAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/journey/otp-setup/app"));
        await pages.CheckPageAsync(page, "otp-setup");

        var key = await readKey();
        Assert.That(Base32Encoding.ToBytes(key), Has.Length.EqualTo(20), "a 160-bit key: " + key);
        var (code, _) = await AuthenticatorApp.FreshCodeAsync(key);
        await pages.Field(page, "OtpSetup.CodeLabel").FillAsync(format(code));
        await pages.Field(page, "OtpSetup.DeviceName").FillAsync(pages.English ? "My phone" : "私のスマートフォン");
        await session.ScreenshotAsync(page, "otp-setup-filled");
        await pages.Button(page, "Otp.Submit").ClickAsync();

        await Expect(pages.Heading(page, "Recovery.Title")).ToBeVisibleAsync();
        await Expect(page.Locator("#recovery-codes code")).ToHaveCountAsync(10);
        await pages.CheckPageAsync(page, "recovery-codes");
        await pages.Button(page, "Recovery.Saved").ClickAsync();

        await pages.OnPortalTopPageAsync(page, name);
        var device = await TestMembers.WithDbAsync(Host.Provider, db =>
            db.Members.Where(m => m.UserId == userId).Select(m => new { m.OtpMethod }).SingleAsync());
        Assert.That(device.OtpMethod, Is.EqualTo(OtpMethod.App));
    }

    /// <summary>A member who finished the journey with mail but must set up an app at the next login.</summary>
    private Task AddMemberWhoMustSetUpAnAppAsync(string userId, string name) =>
        TestMembers.AddWhoMustSetUpAnAppAsync(Host.Provider, userId, Password, name);
}
