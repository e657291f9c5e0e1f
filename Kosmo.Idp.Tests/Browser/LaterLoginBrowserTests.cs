using Kosmo.Idp.Members.Otp;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kosmo.Idp.Tests.Browser;

/// <summary>
/// A member who finished the journey long ago signs in again, in English on a PC, with each way of
/// getting a one-time password: the mail, the authenticator app, and a recovery code after losing
/// the phone. Each ends with ログアウト on the portal, which must end the provider's session too:
/// the next sign-in asks for the password again.
/// </summary>
public sealed class LaterLoginBrowserTests : BrowserTests
{
    private const string Password = "Later-Login-2026";
    private static readonly string Guide = MemberPages.GuideSet("later-login", "en");
    [Test]
    public async Task EmailMember_SignsInWithTheMailedCode_AndLoggingOutOfThePortalEndsTheProviderSession()
    {
        await TestMembers.AddAsync(Host.Provider, "L0001", Password, "健保 一美");
        await using var session = new BrowserSession(guide: Guide);
        var pages = new MemberPages(Host, session, "en");
        var pc = await session.NewDeviceAsync(Device.Desktop);
        await pages.SignInAsync(pc, "L0001", Password);

        await Expect(pages.Heading(pc, "Otp.EmailTitle")).ToBeVisibleAsync();
        await pages.CheckPageAsync(pc, "otp-email");
        await pages.Field(pc, "Otp.EmailLabel").FillAsync(await pages.MailedCodeAsync("l0001@example.jp"));
        await pages.Button(pc, "Otp.Submit").ClickAsync();

        await pages.OnPortalTopPageAsync(pc, "健保 一美");
        await pages.LogOutOfThePortalAsync(pc);
    }

    [Test]
    public async Task AppMember_SignsInWithTheAppsCode_AndLoggingOutOfThePortalEndsTheProviderSession()
    {
        var (key, _) = await AuthenticatorApp.AddMemberAsync(Host.Provider, "L0002", Password, "健保 二美", "My phone");
        await using var session = new BrowserSession(guide: Guide);
        var pages = new MemberPages(Host, session, "en");
        var pc = await session.NewDeviceAsync(Device.Desktop);
        await pages.SignInAsync(pc, "L0002", Password);

        await Expect(pages.Heading(pc, "Otp.AppTitle")).ToBeVisibleAsync();
        await pages.CheckPageAsync(pc, "otp-app");
        await pages.Field(pc, "Otp.AppLabel").FillAsync((await AuthenticatorApp.FreshCodeAsync(key)).Code);
        await pages.Button(pc, "Otp.Submit").ClickAsync();

        await pages.OnPortalTopPageAsync(pc, "健保 二美");
        await pages.LogOutOfThePortalAsync(pc);
    }

    [Test]
    public async Task AppMemberWhoLostThePhone_SignsInWithARecoveryCode_WhichIsThenUsedUp()
    {
        var (_, codes) = await AuthenticatorApp.AddMemberAsync(Host.Provider, "L0003", Password, "健保 三美", "My phone");
        await using var session = new BrowserSession(guide: Guide);
        var pages = new MemberPages(Host, session, "en");
        var pc = await session.NewDeviceAsync(Device.Desktop);
        await pages.SignInAsync(pc, "L0003", Password);

        // The app's page comes first; the phone is gone, so the member takes the way out it offers.
        await Expect(pages.Heading(pc, "Otp.AppTitle")).ToBeVisibleAsync();
        await pages.CheckPageAsync(pc, "otp-app-lost-phone");
        await pc.GetByRole(AriaRole.Link, new() { Name = pages.T("Otp.UseRecovery"), Exact = true }).ClickAsync();
        await Expect(pages.Heading(pc, "Otp.RecoveryTitle")).ToBeVisibleAsync();
        await pages.CheckPageAsync(pc, "otp-recovery");
        // Read off paper: lower case and a space instead of the hyphen are the same code.
        var used = codes[3];
        await pages.Field(pc, "Otp.RecoveryLabel").FillAsync(used.ToLowerInvariant().Replace('-', ' '));
        await pages.Button(pc, "Otp.Submit").ClickAsync();

        await pages.OnPortalTopPageAsync(pc, "健保 三美");
        Assert.That(await UnusedRecoveryCodesAsync("L0003"), Is.EqualTo(RecoveryCodes.Count - 1));
        await pages.LogOutOfThePortalAsync(pc);

        // The next sign-in: the same code, typed as printed this time, is refused.
        await pages.Field(pc, "Login.UserId").FillAsync("L0003");
        await pages.Field(pc, "Login.Password").FillAsync(Password);
        await pages.Button(pc, "Login.Submit").ClickAsync();
        await Expect(pages.Heading(pc, "Otp.AppTitle")).ToBeVisibleAsync();
        await pc.GetByRole(AriaRole.Link, new() { Name = pages.T("Otp.UseRecovery"), Exact = true }).ClickAsync();
        await Expect(pages.Heading(pc, "Otp.RecoveryTitle")).ToBeVisibleAsync();
        await pages.Field(pc, "Otp.RecoveryLabel").FillAsync(used);
        await pages.Button(pc, "Otp.Submit").ClickAsync();
        await Expect(pc.Locator("#otp-error")).ToHaveTextAsync(pages.T("Otp.RecoveryWrong"));
        await Expect(pages.Heading(pc, "Otp.RecoveryTitle")).ToBeVisibleAsync();
        await pages.CheckPageAsync(pc, "otp-recovery-used");
        Assert.That(await UnusedRecoveryCodesAsync("L0003"), Is.EqualTo(RecoveryCodes.Count - 1), "a refused code uses nothing up");
    }

    private Task<int> UnusedRecoveryCodesAsync(string userId) => TestMembers.WithDbAsync(Host.Provider, async db =>
    {
        var id = await db.Members.Where(m => m.UserId == userId).Select(m => m.Id).SingleAsync();
        return await db.RecoveryCodes.CountAsync(c => c.MemberId == id && c.UsedAt == null);
    });
}
