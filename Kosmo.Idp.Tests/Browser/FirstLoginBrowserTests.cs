using System.Diagnostics;
using System.Text.RegularExpressions;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kosmo.Idp.Tests.Browser;

/// <summary>
/// Manual p.2-3 and 2-1 in a real browser: a roster member opens the portal, walks the first-login
/// journey with the PC and confirms the mail address on the phone, and lands on the portal's top page.
/// </summary>
[Category("Browser")]
public sealed partial class FirstLoginBrowserTests
{
    private BrowserHost _host = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _host = await BrowserHost.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _host.DisposeAsync();

    [Test]
    public async Task RosterMember_FirstLoginOnThePc_WithTheLinkOpenedOnThePhone_EndsOnThePortalsTopPage_AndSignsOutOfBoth()
    {
        await TestMembers.AddFromRosterAsync(_host.Provider, "B0001", "123", "4567", new DateOnly(1984, 10, 7), "健保 花子", "b0001@example.jp");
        await using var session = new BrowserSession();
        var pc = await session.NewDeviceAsync(Device.Desktop);

        // The portal sends the member to the provider's login page.
        await pc.GotoAsync(_host.Portal.Url.ToString());
        await Expect(pc).ToHaveURLAsync(new Regex("^" + Regex.Escape(_host.Issuer + "login")));
        await OnProviderPageAsync(session, pc, "login");

        // 1 user ID and the initial password 記号+番号+生年月日
        await pc.GetByLabel("ユーザID").FillAsync("B0001");
        await pc.GetByLabel("パスワード").FillAsync("123456719841007");
        await pc.GetByRole(AriaRole.Button, new() { Name = "ログイン", Exact = true }).ClickAsync();

        // 2 birthdate
        await Expect(pc.GetByRole(AriaRole.Heading, new() { Name = "生年月日の確認" })).ToBeVisibleAsync();
        await OnProviderPageAsync(session, pc, "birthdate");
        await pc.GetByLabel("生年月日").FillAsync("19841007");
        await pc.GetByRole(AriaRole.Button, new() { Name = "次へ" }).ClickAsync();

        // 3 terms
        await Expect(pc.GetByRole(AriaRole.Heading, new() { Name = "利用規約", Exact = true })).ToBeVisibleAsync();
        await OnProviderPageAsync(session, pc, "terms");
        await pc.GetByRole(AriaRole.Button, new() { Name = "同意する" }).ClickAsync();

        // 4 email address
        await Expect(pc.GetByRole(AriaRole.Heading, new() { Name = "メールアドレスの設定" })).ToBeVisibleAsync();
        await OnProviderPageAsync(session, pc, "email");
        await pc.GetByLabel("メールアドレス").FillAsync("hanako@example.jp");
        await pc.GetByRole(AriaRole.Button, new() { Name = "確認メールを送信" }).ClickAsync();
        await Expect(pc.GetByText("hanako@example.jp に確認メールを送信しました。")).ToBeVisibleAsync();
        await OnProviderPageAsync(session, pc, "email-sent");

        // 5 the mail, opened on the phone while the PC waits
        var mail = await MailAsync("hanako@example.jp", "メールアドレス確認");
        var phone = await session.NewDeviceAsync(Device.Phone);
        var link = VerificationLink().Match(mail.Text);
        Assert.That(link.Value, Does.StartWith(_host.Issuer.ToString()), "the mail links to the provider: " + mail.Text);
        await phone.GotoAsync(link.Value);
        await Expect(phone.GetByRole(AriaRole.Heading, new() { Name = "メールアドレスの確認" })).ToBeVisibleAsync();
        await OnProviderPageAsync(session, phone, "phone-verify");
        await phone.GetByRole(AriaRole.Button, new() { Name = "確認する" }).ClickAsync();
        await Expect(phone.GetByText("の確認が完了しました。")).ToBeVisibleAsync();
        await OnProviderPageAsync(session, phone, "phone-verified");

        // 6 the PC's page moves on by itself (its script asks every 3 s): no 更新 pressed
        await Expect(pc).ToHaveURLAsync(new Regex("/journey/method"), new() { Timeout = 20_000 });

        // 7 method: one-time password by mail
        await Expect(pc.GetByRole(AriaRole.Heading, new() { Name = "認証方法の選択" })).ToBeVisibleAsync();
        await OnProviderPageAsync(session, pc, "method");
        await pc.GetByRole(AriaRole.Radio, new() { Name = "ワンタイムパスワード認証（メール）" }).CheckAsync();
        await pc.GetByRole(AriaRole.Button, new() { Name = "次へ" }).ClickAsync();

        // 8 new password
        await Expect(pc.GetByRole(AriaRole.Heading, new() { Name = "新しいパスワードの設定" })).ToBeVisibleAsync();
        await OnProviderPageAsync(session, pc, "new-password");
        await pc.GetByLabel("新しいパスワード", new() { Exact = true }).FillAsync("Hanako-Kenpo-2026");
        await pc.GetByLabel("新しいパスワード（確認）").FillAsync("Hanako-Kenpo-2026");
        await pc.GetByRole(AriaRole.Button, new() { Name = "パスワードを設定" }).ClickAsync();

        // 2-1 the mailed one-time password
        await Expect(pc.GetByRole(AriaRole.Heading, new() { Name = "ワンタイムパスワード (OTP) メール認証" })).ToBeVisibleAsync();
        await OnProviderPageAsync(session, pc, "otp");
        var otp = OtpMail.CodeIn(await MailAsync("hanako@example.jp", "ワンタイムパスワード"));
        await pc.GetByLabel("受信したワンタイムパスワードを入力してください").FillAsync(otp);
        await pc.GetByRole(AriaRole.Button, new() { Name = "実行" }).ClickAsync();

        // recovery codes
        await Expect(pc.GetByRole(AriaRole.Heading, new() { Name = "リカバリーコード" })).ToBeVisibleAsync();
        await OnProviderPageAsync(session, pc, "recovery-codes");
        await pc.GetByRole(AriaRole.Button, new() { Name = "保管しました" }).ClickAsync();

        // the portal's top page (manual p.13), its API having validated the access token against the JWKS
        await Expect(pc).ToHaveURLAsync(_host.Portal.Url.ToString(), new() { Timeout = 20_000 });
        await Expect(pc.GetByRole(AriaRole.Heading, new() { Name = PortalApp.SocietyName, Level = 1 })).ToBeVisibleAsync();
        foreach (var service in PortalApp.ServiceNames)
        {
            await Expect(pc.GetByRole(AriaRole.Listitem).Filter(new() { HasTextString = service })).ToBeVisibleAsync();
        }

        await Expect(pc.GetByText(PortalApp.NoNotices)).ToBeVisibleAsync();
        await Expect(pc.GetByText("健保 花子 様")).ToBeVisibleAsync();
        await Expect(pc.Locator("#api-check")).ToContainTextAsync(PortalApp.ApiConfirmed + " (sub: ");
        await session.ScreenshotAsync(pc, "portal-top");
        await BrowserSession.AssertAccessibleAsync(pc);

        // ログアウト: the portal, then the provider's end-session endpoint, then back to the portal
        await pc.GetByRole(AriaRole.Link, new() { Name = "ログアウト" }).ClickAsync();
        await Expect(pc).ToHaveURLAsync(_host.Portal.Url + "signed-out");
        await Expect(pc.GetByText("ログアウトしました。")).ToBeVisibleAsync();
        await session.ScreenshotAsync(pc, "portal-signed-out");
        await BrowserSession.AssertAccessibleAsync(pc);
        await pc.GetByRole(AriaRole.Link, new() { Name = "もう一度ログインする" }).ClickAsync();
        await Expect(pc.GetByRole(AriaRole.Heading, new() { Name = "ログイン", Exact = true })).ToBeVisibleAsync();
        await Expect(pc).ToHaveURLAsync(new Regex("^" + Regex.Escape(_host.Issuer + "login")));
        await session.ScreenshotAsync(pc, "login-again");
        session.AssertNoErrors();
    }

    /// <summary>Every provider page: a screenshot, no console error so far, no serious accessibility violation.</summary>
    private static async Task OnProviderPageAsync(BrowserSession session, IPage page, string name)
    {
        await session.ScreenshotAsync(page, name);
        await BrowserSession.AssertAccessibleAsync(page);
    }

    /// <summary>The newest mail to the address whose subject holds the text, waiting a little for it.</summary>
    private async Task<CaughtMail> MailAsync(string to, string subject)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var mail = _host.Provider.Mail.To(to).LastOrDefault(m => m.Subject.Contains(subject, StringComparison.Ordinal));
            if (mail is not null || clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                return mail ?? throw new AssertionException($"No mail “{subject}” to {to}.");
            }

            await Task.Delay(100);
        }
    }

    [GeneratedRegex(@"https?://\S+/journey/email/verify\?token=[A-Za-z0-9_-]+")]
    private static partial Regex VerificationLink();
}
