using Kosmo.Idp.Journey.Otp;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kosmo.Idp.Tests.Browser;

/// <summary>
/// A member who finished the journey long ago signs in again, in English on a PC and in Japanese on a
/// phone, with each way of getting a one-time password: the mail, the authenticator app, and a recovery code after losing
/// the phone. Each ends with ログアウト on the portal, which must end the provider's session too:
/// the next sign-in asks for the password again.
/// </summary>
public sealed class LaterLoginBrowserTests : BrowserTests
{
    private const string Password = "Later-Login-2026";

    [Test]
    public async Task AMemberWhoSwitchesToEnglishToReadAnError_KeepsTheUserIdTyped_ButNotThePassword()
    {
        await using var session = Session("ja", Device.Phone);
        var japanese = new MemberPages(Host, session, "ja");
        var english = new MemberPages(Host, session, "en");
        var screen = await session.NewDeviceAsync(Device.Phone);
        await japanese.OpenPortalAsync(screen, "login-before-switch");
        await japanese.LogInAsync(screen, "LANG0001", "not-the-password");
        await Expect(screen.Locator("#login-error")).ToBeVisibleAsync();

        await english.ChooseLanguageAsync(screen);

        await Expect(english.Heading(screen, "Login.Title")).ToBeVisibleAsync();
        await Expect(english.Field(screen, "Login.UserId")).ToHaveValueAsync("LANG0001");
        await Expect(english.Field(screen, "Login.Password")).ToHaveValueAsync("");
    }

    [Test]
    public async Task AMemberWhoTicksShowPassword_SeesWhatTheyTyped_AndTheFormSendsItMaskedAgain()
    {
        await TestMembers.AddAsync(Host.Provider, "SHOW0001", Password, "健保 見子");
        await using var session = Session("ja", Device.Phone);
        var pages = new MemberPages(Host, session, "ja");
        var screen = await session.NewDeviceAsync(Device.Phone);
        await pages.OpenPortalAsync(screen, "login-show-password");
        var password = pages.Field(screen, "Login.Password");
        var show = screen.GetByLabel(pages.T("Password.Show"), new() { Exact = true });
        await pages.Field(screen, "Login.UserId").FillAsync("SHOW0001");
        await password.FillAsync(Password);
        await Expect(password).ToHaveAttributeAsync("type", "password");

        await show.CheckAsync();
        await Expect(password).ToHaveAttributeAsync("type", "text");
        await Expect(password).ToHaveValueAsync(Password);
        await pages.CheckPageAsync(screen, "login-password-shown");
        await show.UncheckAsync();
        await Expect(password).ToHaveAttributeAsync("type", "password");

        // Sent while shown: the browser sees a password field when the form goes (and saves a password as one).
        await show.CheckAsync();
        await screen.EvaluateAsync("() => document.querySelector('main form').addEventListener('submit', () => sessionStorage.setItem('type-when-sent', document.querySelector('#Password').type))");
        await pages.Button(screen, "Login.Submit").ClickAsync();
        await Expect(pages.Heading(screen, "Otp.EmailTitle")).ToBeVisibleAsync();
        Assert.That(await screen.EvaluateAsync<string>("() => sessionStorage.getItem('type-when-sent')"), Is.EqualTo("password"));
    }

    [TestCase("en", Device.Desktop)]
    [TestCase("ja", Device.Phone)]
    public async Task EmailMember_SignsInWithTheMailedCode_AndLoggingOutOfThePortalEndsTheProviderSession(string language, Device device)
    {
        var userId = UserId(1, language);
        await TestMembers.AddAsync(Host.Provider, userId, Password, "健保 一美");
        await SignInWithACodeAndLogOutAsync(language, device, userId, "健保 一美", "Otp.EmailTitle", "otp-email", "Otp.EmailLabel",
            pages => pages.MailedCodeAsync(userId.ToLowerInvariant() + "@example.jp"));
    }

    [TestCase("en", Device.Desktop)]
    [TestCase("ja", Device.Phone)]
    public async Task AppMember_SignsInWithTheAppsCode_AndLoggingOutOfThePortalEndsTheProviderSession(string language, Device device)
    {
        var userId = UserId(2, language);
        var (key, _) = await AuthenticatorApp.AddMemberAsync(Host.Provider, userId, Password, "健保 二美", "My phone");
        await SignInWithACodeAndLogOutAsync(language, device, userId, "健保 二美", "Otp.AppTitle", "otp-app", "Otp.AppLabel",
            async _ => (await AuthenticatorApp.FreshCodeAsync(key)).Code);
    }

    [TestCase("en", Device.Desktop)]
    [TestCase("ja", Device.Phone)]
    public async Task AppMemberWhoLostThePhone_SignsInWithARecoveryCode_WhichIsThenUsedUp(string language, Device device)
    {
        var userId = UserId(3, language);
        var (_, codes) = await AuthenticatorApp.AddMemberAsync(Host.Provider, userId, Password, "健保 三美", "My phone");
        await using var session = Session(language, device);
        var pages = new MemberPages(Host, session, language);
        var screen = await session.NewDeviceAsync(device);
        await pages.SignInAsync(screen, userId, Password);

        // The app's page comes first; the phone is gone, so the member takes the way out it offers.
        await Expect(pages.Heading(screen, "Otp.AppTitle")).ToBeVisibleAsync();
        await pages.CheckPageAsync(screen, "otp-app-lost-phone");
        await screen.GetByRole(AriaRole.Link, new() { Name = pages.T("Otp.UseRecovery"), Exact = true }).ClickAsync();
        await Expect(pages.Heading(screen, "Otp.RecoveryTitle")).ToBeVisibleAsync();
        await pages.CheckPageAsync(screen, "otp-recovery");
        await Expect(pages.Field(screen, "Otp.RecoveryLabel")).ToHaveAccessibleDescriptionAsync(pages.T("Otp.RecoveryHint"));
        // Read off paper: lower case and a space instead of the hyphen are the same code.
        var used = codes[3];
        await pages.Field(screen, "Otp.RecoveryLabel").FillAsync(used.ToLowerInvariant().Replace('-', ' '));
        await pages.Button(screen, "Otp.Submit").ClickAsync();

        await pages.OnPortalTopPageAsync(screen, "健保 三美");
        Assert.That(await UnusedRecoveryCodesAsync(userId), Is.EqualTo(RecoveryCodes.Count - 1));
        await pages.LogOutOfThePortalAsync(screen);

        // The next sign-in: the same code, typed as printed this time, is refused.
        await pages.Field(screen, "Login.UserId").FillAsync(userId);
        await pages.Field(screen, "Login.Password").FillAsync(Password);
        await pages.Button(screen, "Login.Submit").ClickAsync();
        await Expect(pages.Heading(screen, "Otp.AppTitle")).ToBeVisibleAsync();
        await screen.GetByRole(AriaRole.Link, new() { Name = pages.T("Otp.UseRecovery"), Exact = true }).ClickAsync();
        await Expect(pages.Heading(screen, "Otp.RecoveryTitle")).ToBeVisibleAsync();
        await pages.Field(screen, "Otp.RecoveryLabel").FillAsync(used);
        await pages.Button(screen, "Otp.Submit").ClickAsync();
        await Expect(screen.Locator("#otp-error")).ToContainTextAsync(pages.T("Otp.RecoveryWrong"));
        await Expect(pages.Heading(screen, "Otp.RecoveryTitle")).ToBeVisibleAsync();
        await pages.CheckPageAsync(screen, "otp-recovery-used");
        Assert.That(await UnusedRecoveryCodesAsync(userId), Is.EqualTo(RecoveryCodes.Count - 1), "a refused code uses nothing up");
    }

    [Test]
    public async Task BackFromTheCodePage_AfterAWrongPasswordFirst_OpensTheLoginPageAfresh_InsteadOfSendingTheFormAgain()
    {
        var userId = UserId(4, "ja");
        await TestMembers.AddAsync(Host.Provider, userId, Password, "健保 四美");
        await using var session = Session("ja", Device.Desktop);
        var pages = new MemberPages(Host, session, "ja");
        var screen = await session.NewDeviceAsync(Device.Desktop);
        await pages.SignInAsync(screen, userId, "Not-The-Password-1");
        await Expect(screen.Locator("#login-error")).ToContainTextAsync(pages.T("Login.Wrong"));
        await pages.LogInAsync(screen, userId, Password);
        await Expect(pages.Heading(screen, "Otp.EmailTitle")).ToBeVisibleAsync();

        // The refused login's page was the answer to a POST: Back would ask to send it again (in
        // headless Chromium, an error page). It is the login page's own address now, opened by GET.
        var back = await screen.GoBackAsync();
        Assert.That(back?.Request.Method, Is.EqualTo("GET"), screen.Url);
        Assert.That(screen.Url, Does.StartWith(Host.Issuer + "login"));
        await Expect(pages.Heading(screen, "Login.Title")).ToBeVisibleAsync();
        await Expect(screen.Locator("#login-error")).ToHaveCountAsync(0);
        session.AssertNoErrors();
    }

    /// <summary>
    /// Signs the member in through the portal, types the code <paramref name="code"/> gives on the
    /// page titled <paramref name="title"/>, and logs out of the portal again.
    /// </summary>
    private async Task SignInWithACodeAndLogOutAsync(
        string language, Device device, string userId, string name, string title, string shot, string label, Func<MemberPages, Task<string>> code)
    {
        await using var session = Session(language, device);
        var pages = new MemberPages(Host, session, language);
        var screen = await session.NewDeviceAsync(device);
        await pages.SignInAsync(screen, userId, Password);

        await Expect(pages.Heading(screen, title)).ToBeVisibleAsync();
        await pages.CheckPageAsync(screen, shot);
        await pages.Field(screen, label).FillAsync(await code(pages));
        await pages.Button(screen, "Otp.Submit").ClickAsync();

        await pages.OnPortalTopPageAsync(screen, name);
        await pages.LogOutOfThePortalAsync(screen);
    }

    private static string UserId(int member, string language) => $"L000{member}{language.ToUpperInvariant()}";

    /// <summary>The English PC run and the Japanese phone run illustrate the member guide's later-login sections.</summary>
    private static BrowserSession Session(string language, Device device) =>
        new(guide: (language, device) switch
        {
            ("en", Device.Desktop) => MemberPages.GuideSet("later-login", "en"),
            ("ja", Device.Phone) => MemberPages.GuideSet("later-login-phone", "ja"),
            _ => null,
        });

    private Task<int> UnusedRecoveryCodesAsync(string userId) => TestMembers.WithDbAsync(Host.Provider, async db =>
    {
        var id = await db.Members.Where(m => m.UserId == userId).Select(m => m.Id).SingleAsync();
        return await db.RecoveryCodes.CountAsync(c => c.MemberId == id && c.UsedAt == null);
    });
}
