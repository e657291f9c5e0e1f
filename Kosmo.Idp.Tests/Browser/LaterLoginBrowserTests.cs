using System.Text.RegularExpressions;
using Kosmo.Idp.Members;
using Kosmo.Idp.Members.Otp;
using Kosmo.Idp.Persistence;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OtpNet;
using static Microsoft.Playwright.Assertions;

namespace Kosmo.Idp.Tests.Browser;

/// <summary>
/// A member who finished the journey long ago signs in again, in English on a PC, with each way of
/// getting a one-time password: the mail, the authenticator app, and a recovery code after losing
/// the phone. Each ends with ログアウト on the portal, which must end the provider's session too:
/// the next sign-in asks for the password again.
/// </summary>
[Category("Browser")]
public sealed class LaterLoginBrowserTests
{
    private const string Password = "Later-Login-2026";
    private static readonly string Guide = MemberPages.GuideSet("later-login", "en");
    private BrowserHost _host = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _host = await BrowserHost.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _host.DisposeAsync();

    [Test]
    public async Task EmailMember_SignsInWithTheMailedCode_AndLoggingOutOfThePortalEndsTheProviderSession()
    {
        await TestMembers.AddAsync(_host.Provider, "L0001", Password, "健保 一美");
        await using var session = new BrowserSession(guide: Guide);
        var pages = new MemberPages(_host, session, "en");
        var pc = await session.NewDeviceAsync(Device.Desktop);
        await pages.SignInAsync(pc, "L0001", Password);

        await Expect(pages.Heading(pc, "Otp.EmailTitle")).ToBeVisibleAsync();
        await pages.OnProviderPageAsync(pc, "otp-email");
        await pages.Field(pc, "Otp.EmailLabel").FillAsync(await pages.MailedCodeAsync("l0001@example.jp"));
        await pages.Button(pc, "Otp.Submit").ClickAsync();

        await pages.OnPortalTopPageAsync(pc, "健保 一美");
        await LogOutOfThePortalAsync(pages, session, pc);
    }

    [Test]
    public async Task AppMember_SignsInWithTheAppsCode_AndLoggingOutOfThePortalEndsTheProviderSession()
    {
        var (key, _) = await AddAppMemberAsync("L0002", "健保 二美");
        await using var session = new BrowserSession(guide: Guide);
        var pages = new MemberPages(_host, session, "en");
        var pc = await session.NewDeviceAsync(Device.Desktop);
        await pages.SignInAsync(pc, "L0002", Password);

        await Expect(pages.Heading(pc, "Otp.AppTitle")).ToBeVisibleAsync();
        await pages.OnProviderPageAsync(pc, "otp-app");
        await pages.Field(pc, "Otp.AppLabel").FillAsync(await FreshCodeAsync(key));
        await pages.Button(pc, "Otp.Submit").ClickAsync();

        await pages.OnPortalTopPageAsync(pc, "健保 二美");
        await LogOutOfThePortalAsync(pages, session, pc);
    }

    [Test]
    public async Task AppMemberWhoLostThePhone_SignsInWithARecoveryCode_WhichIsThenUsedUp()
    {
        var (_, codes) = await AddAppMemberAsync("L0003", "健保 三美");
        await using var session = new BrowserSession(guide: Guide);
        var pages = new MemberPages(_host, session, "en");
        var pc = await session.NewDeviceAsync(Device.Desktop);
        await pages.SignInAsync(pc, "L0003", Password);

        // The app's page comes first; the phone is gone, so the member takes the way out it offers.
        await Expect(pages.Heading(pc, "Otp.AppTitle")).ToBeVisibleAsync();
        await pages.OnProviderPageAsync(pc, "otp-app-lost-phone");
        await pc.GetByRole(AriaRole.Link, new() { Name = pages.T("Otp.UseRecovery"), Exact = true }).ClickAsync();
        await Expect(pages.Heading(pc, "Otp.RecoveryTitle")).ToBeVisibleAsync();
        await pages.OnProviderPageAsync(pc, "otp-recovery");
        // Read off paper: lower case and a space instead of the hyphen are the same code.
        var used = codes[3];
        await pages.Field(pc, "Otp.RecoveryLabel").FillAsync(used.ToLowerInvariant().Replace('-', ' '));
        await pages.Button(pc, "Otp.Submit").ClickAsync();

        await pages.OnPortalTopPageAsync(pc, "健保 三美");
        Assert.That(await UnusedRecoveryCodesAsync("L0003"), Is.EqualTo(RecoveryCodes.Count - 1));
        await LogOutOfThePortalAsync(pages, session, pc);

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
        await pages.OnProviderPageAsync(pc, "otp-recovery-used");
        Assert.That(await UnusedRecoveryCodesAsync("L0003"), Is.EqualTo(RecoveryCodes.Count - 1), "a refused code uses nothing up");
    }

    /// <summary>
    /// ログアウト on the portal, its signed-out page, then もう一度ログインする: the portal sends the
    /// member to the provider again, which must ask for the password; had the logout ended only the
    /// portal's cookie, the provider's session would send the member straight back signed in.
    /// </summary>
    private async Task LogOutOfThePortalAsync(MemberPages pages, BrowserSession session, IPage page)
    {
        await page.GetByRole(AriaRole.Link, new() { Name = "ログアウト", Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(_host.Portal.Url + "signed-out");
        await Expect(page.GetByText("ログアウトしました。")).ToBeVisibleAsync();
        await session.ScreenshotAsync(page, "portal-signed-out");
        await BrowserSession.AssertAccessibleAsync(page);

        await page.GetByRole(AriaRole.Link, new() { Name = "もう一度ログインする", Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(_host.Issuer + "login")));
        // The language chosen before the logout is kept: the member is not thrown back into Japanese.
        await Expect(pages.Heading(page, "Login.Title")).ToBeVisibleAsync();
        await pages.OnProviderPageAsync(page, "login-again");
    }

    /// <summary>
    /// A member who finished the journey with an authenticator app and mail codes off, and kept the
    /// recovery codes shown then; the device and the codes are made by the provider's own services,
    /// so the test knows the app's key and the paper's codes as the member does.
    /// </summary>
    private async Task<(string Key, IReadOnlyList<string> RecoveryCodes)> AddAppMemberAsync(string userId, string name)
    {
        var member = await TestMembers.AddAsync(_host.Provider, userId, Password, name);
        await using var scope = _host.Provider.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KosmoDbContext>();
        var authenticator = scope.ServiceProvider.GetRequiredService<TotpAuthenticator>();
        var device = await authenticator.PendingDeviceAsync(member, CancellationToken.None);
        var now = DateTimeOffset.UtcNow;
        device.ConfirmedAt = now;
        device.Name = "My phone";
        await db.SaveChangesAsync();
        await db.Members.Where(m => m.Id == member.Id).ExecuteUpdateAsync(set => set
            .SetProperty(m => m.OtpMethod, OtpMethod.App)
            .SetProperty(m => m.AppOtpEnabledAt, now)
            .SetProperty(m => m.EmailOtpEnabledAt, (DateTimeOffset?)null));
        var codes = await scope.ServiceProvider.GetRequiredService<RecoveryCodes>().IssueAsync(member.Id, CancellationToken.None);
        return (authenticator.KeyForDisplay(device).Replace(" ", ""), codes);
    }

    private Task<int> UnusedRecoveryCodesAsync(string userId) => TestMembers.WithDbAsync(_host.Provider, async db =>
    {
        var id = await db.Members.Where(m => m.UserId == userId).Select(m => m.Id).SingleAsync();
        return await db.RecoveryCodes.CountAsync(c => c.MemberId == id && c.UsedAt == null);
    });

    /// <summary>The app's code now, on the real clock the provider runs on; near the end of a step it waits for the next one.</summary>
    private static async Task<string> FreshCodeAsync(string key)
    {
        var totp = new Totp(Base32Encoding.ToBytes(key));
        if (totp.RemainingSeconds() < 4)
        {
            await Task.Delay(TimeSpan.FromSeconds(totp.RemainingSeconds() + 1));
        }

        return totp.ComputeTotp();
    }
}
