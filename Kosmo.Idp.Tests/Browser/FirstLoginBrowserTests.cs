using System.Text.RegularExpressions;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kosmo.Idp.Tests.Browser;

/// <summary>
/// Manual p.2-3 and 2-1 in a real browser: a roster member opens the portal, walks the first-login
/// journey and confirms the mail address on a second device (the phone the mail arrives on), and
/// lands on the portal's top page. In Japanese and English, each on a PC and on a phone.
/// </summary>
public sealed partial class FirstLoginBrowserTests : BrowserTests
{
    // The guide shows the first two: the society's members mostly start on a PC in Japanese.
    [TestCase("ja", Device.Desktop, "B0001", "first-login")]
    [TestCase("en", Device.Phone, "B0002", "first-login")]
    [TestCase("ja", Device.Phone, "B0003", "first-login-phone")]
    [TestCase("en", Device.Desktop, "B0004", "first-login-pc")]
    public async Task RosterMember_FirstLogin_WithTheLinkOpenedOnASecondDevice_EndsOnThePortalsTopPage_AndSignsOutOfBoth(
        string language, Device device, string userId, string pictures)
    {
        var address = $"hanako.{userId.ToLowerInvariant()}@example.jp";
        await TestMembers.AddFromRosterAsync(Host.Provider, userId, "123", "4567", new DateOnly(1984, 10, 7), "健保 花子", null);
        await using var session = new BrowserSession(guide: MemberPages.GuideSet(pictures, language));
        var pages = new MemberPages(Host, session, language);
        var main = await session.NewDeviceAsync(device);

        // 1 user ID and the initial password 記号+番号+生年月日
        await pages.SignInAsync(main, userId, "123456719841007");

        // 2 birthdate
        await Expect(pages.Heading(main, "BirthDate.Title")).ToBeVisibleAsync();
        await pages.CheckPageAsync(main, "birthdate");
        await pages.Field(main, "BirthDate.Label").FillAsync("19841007");
        await pages.Button(main, "Common.Next").ClickAsync();

        // 3 terms
        await Expect(pages.Heading(main, "Terms.Title")).ToBeVisibleAsync();
        await pages.CheckPageAsync(main, "terms");
        // A keyboard reaches the box where it scrolls by itself (PC), and skips it where it scrolls with the page (phone).
        var termsBox = main.Locator("#terms-text");
        if (device == Device.Phone)
        {
            await Expect(termsBox).Not.ToHaveAttributeAsync("tabindex", new Regex(".*"));
        }
        else
        {
            await Expect(termsBox).ToHaveAttributeAsync("tabindex", "0");
        }

        await pages.Button(main, "Terms.Accept").ClickAsync();

        // 4 email address
        await Expect(pages.Heading(main, "Email.Title")).ToBeVisibleAsync();
        await pages.CheckPageAsync(main, "email");
        await pages.Field(main, "Email.Label").FillAsync(address);
        await pages.Button(main, "Email.Send").ClickAsync();
        await Expect(main.GetByText(pages.T("Email.SentTo", address))).ToBeVisibleAsync();
        await pages.CheckPageAsync(main, "email-sent");

        // 5 the mail, opened on the second device while the first one waits
        var mail = await pages.MailAsync(address, "メールアドレス確認", 1);
        var phone = await session.NewDeviceAsync(Device.Phone);
        var link = VerificationLink().Match(mail.Text);
        Assert.That(link.Value, Does.StartWith(Host.Issuer.ToString()), "the mail links to the provider: " + mail.Text);
        await phone.GotoAsync(link.Value);
        await pages.ChooseLanguageAsync(phone);
        await Expect(pages.Heading(phone, "Verify.Title")).ToBeVisibleAsync();
        await pages.CheckPageAsync(phone, "phone-verify");
        await pages.Button(phone, "Verify.Button").ClickAsync();
        await Expect(phone.Locator("#verify-done")).ToBeVisibleAsync();
        await pages.CheckPageAsync(phone, "phone-verified");

        // 6 the first device's page moves on by itself (its script asks every 3 s): no 更新 pressed
        await Expect(main).ToHaveURLAsync(new Regex("/journey/method"), new() { Timeout = 20_000 });

        // 7 method: one-time password by mail
        await Expect(pages.Heading(main, "Method.Title")).ToBeVisibleAsync();
        await pages.CheckPageAsync(main, "method");
        await main.GetByRole(AriaRole.Radio, new() { Name = pages.T("Method.Email") }).CheckAsync();
        await pages.Button(main, "Common.Next").ClickAsync();

        // 8 new password
        await Expect(pages.Heading(main, "NewPassword.Title")).ToBeVisibleAsync();
        await pages.CheckPageAsync(main, "new-password");
        await pages.Field(main, "NewPassword.Label").FillAsync("Hanako-Kenpo-2026");
        await pages.Field(main, "NewPassword.Confirmation").FillAsync("Hanako-Kenpo-2026");
        await pages.Button(main, "NewPassword.Submit").ClickAsync();

        // 2-1 the mailed one-time password
        await Expect(pages.Heading(main, "Otp.EmailTitle")).ToBeVisibleAsync();
        await pages.CheckPageAsync(main, "otp");
        await pages.Field(main, "Otp.EmailLabel").FillAsync(await pages.MailedCodeAsync(address));
        await pages.Button(main, "Otp.Submit").ClickAsync();

        // recovery codes
        await Expect(pages.Heading(main, "Recovery.Title")).ToBeVisibleAsync();
        await Expect(main.Locator("#recovery-codes code")).ToHaveCountAsync(10);
        await pages.CheckPageAsync(main, "recovery-codes");
        // The page asks to print them: its button opens the browser's print dialog (counted here instead).
        await main.EvaluateAsync("() => { window.printed = 0; window.print = () => window.printed++; }");
        await pages.Button(main, "Recovery.Print").ClickAsync();
        Assert.That(await main.EvaluateAsync<int>("() => window.printed"), Is.EqualTo(1));
        await pages.Button(main, "Recovery.Saved").ClickAsync();

        // the portal's top page (manual p.13)
        await pages.OnPortalTopPageAsync(main, "健保 花子");
        foreach (var service in PortalApp.ServiceNames)
        {
            await Expect(main.GetByRole(AriaRole.Listitem).Filter(new() { HasTextString = service })).ToBeVisibleAsync();
        }

        await Expect(main.GetByText(PortalApp.NoNotices)).ToBeVisibleAsync();

        // ログアウト: the portal, then the provider's end-session endpoint, then back to the portal;
        // signing in again asks for the password: the provider's session ended too.
        await pages.LogOutOfThePortalAsync(main);
        session.AssertNoErrors();
    }

    [GeneratedRegex(@"https?://\S+/journey/email/verify\?token=[A-Za-z0-9_-]+")]
    private static partial Regex VerificationLink();
}
