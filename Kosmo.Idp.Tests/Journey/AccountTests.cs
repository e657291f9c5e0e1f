using System.Net;
using Kosmo.Idp.Members;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static Kosmo.Idp.Tests.Journey.JourneySteps;

namespace Kosmo.Idp.Tests.Journey;

/// <summary>The member's account page: services, devices, recovery codes, email, password, other sessions.</summary>
public sealed class AccountTests
{
    private const string Password = "Account-Member-2026";
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private KosmoFactory _factory = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _factory = await KosmoFactory.StartAsync(services: s => s.AddSingleton<TimeProvider>(_clock));

    [OneTimeTearDown]
    public async Task StopAsync() => await _factory.DisposeAsync();

    [Test]
    public async Task TheHomeAndAccountPages_ShowTheSocietysServices_AsTiles()
    {
        var browser = await SignedInAsync("A0001");
        foreach (var page in new[] { "/", "/account" })
        {
            var tiles = (await HtmlForm.ParseAsync(await browser.GetAsync(page))).QuerySelectorAll("#services a")
                .Select(a => (a.TextContent, a.GetAttribute("href"))).ToList();
            Assert.That(tiles, Does.Contain(("KOSMO Web ポータル", "https://portal.test/")), page);
            Assert.That(tiles.Select(t => t.TextContent), Does.Not.Contain("健康診断予約"), "an app without a home URL has no tile");
        }
    }

    [Test]
    public async Task WhenNoAppHasAHomeUrl_TheHomeAndAccountPagesSaySo_InsteadOfAnEmptyListOfServices()
    {
        await using var factory = await KosmoFactory.StartAsync(new Dictionary<string, string?> { ["RelyingApps:Apps:0:HomeUrl"] = null });
        await TestMembers.AddAsync(factory, "A0055", Password);
        var browser = factory.Browser();
        var done = await OtpMail.CompleteAsync(factory, browser, await LoginAsync(browser, "A0055", Password), "a0055@example.jp");
        Assert.That(PathOf(done), Is.EqualTo("/"));

        foreach (var path in new[] { "/", "/account" })
        {
            var page = await HtmlForm.ParseAsync(await browser.GetAsync(path));
            Assert.That(page.QuerySelector("#no-services")?.TextContent, Is.EqualTo("ご利用いただけるサービスは、まだ登録されていません。"), path);
            Assert.That(page.QuerySelector("#services"), Is.Null, path + ": a screen reader would announce an empty list");
        }
    }

    [Test]
    public async Task AMemberWithoutAnApp_IsToldSo_InsteadOfAnEmptyListOfDevices()
    {
        var browser = await SignedInAsync("A0052");
        var page = await HtmlForm.ParseAsync(await browser.GetAsync("/account"));
        Assert.That(page.QuerySelector("#no-devices")?.TextContent, Is.EqualTo("登録されている認証アプリはありません。"));
        Assert.That(page.QuerySelector("#devices"), Is.Null, "a screen reader would announce an empty list");

        await AddDeviceAsync(browser, "スマホ");
        page = await HtmlForm.ParseAsync(await browser.GetAsync("/account"));
        Assert.That(page.QuerySelector("#no-devices"), Is.Null);
        Assert.That(page.QuerySelectorAll("#devices li strong").Select(s => s.TextContent), Is.EqualTo(new[] { "スマホ" }));
    }

    [Test]
    public async Task OnEnglishPages_ATileShowsTheAppsEnglishName()
    {
        var browser = await SignedInAsync("A0050");
        await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string> { ["culture"] = "en" }, "form.language-switch");
        var tiles = (await HtmlForm.ParseAsync(await browser.GetAsync("/account"))).QuerySelectorAll("#services a").Select(a => a.TextContent).ToList();
        Assert.That(tiles, Does.Contain("KOSMO Web portal"));
    }

    [Test]
    public async Task ASecondAppAddedFromTheAccountPage_WorksAtLogin_AndARemovedOneNoLongerDoes()
    {
        var browser = await SignedInAsync("A0002");
        var first = await AddDeviceAsync(browser, "古いスマホ");
        _clock.Advance(TimeSpan.FromSeconds(40)); // the page lists devices in the order they were added; the test clock stands still otherwise
        var second = await AddDeviceAsync(browser, "新しいスマホ");
        var account = await browser.GetAsync("/account");
        Assert.That(DeviceNamesOn(await account.Content.ReadAsStringAsync()), Is.EqualTo(new[] { "古いスマホ", "新しいスマホ" }));

        var removed = await HtmlForm.SubmitAsync(browser, account, new Dictionary<string, string>(), "#devices li:first-child form[action*=RemoveDevice]");
        Assert.That(removed.Headers.Location!.OriginalString, Does.Contain("done=device-removed"));
        Assert.That(await TestMembers.AuditKindsAsync(_factory, "A0002"), Does.Contain(AuditKinds.AppDeviceRemoved));

        _clock.Advance(TimeSpan.FromSeconds(30));
        var refused = await SubmitAppCodeAsync(await PasswordOnlyAsync("A0002"), CodeNow(first));
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the removed device's code is refused");
        var accepted = await SubmitAppCodeAsync(await PasswordOnlyAsync("A0002"), CodeNow(second));
        Assert.That(PathOf(accepted), Is.EqualTo("/"));
    }

    [Test]
    public async Task TwoAppsCannotShareAName_SoTheMemberCanTellWhichOneToRemove()
    {
        var browser = await SignedInAsync("A0071");
        await AddDeviceAsync(browser, "iPhone");
        _clock.Advance(TimeSpan.FromSeconds(40));

        // Adding: refused before the code is checked, the name shown back to mend.
        var account = await browser.GetAsync("/account");
        var setup = await browser.GetAsync((await HtmlForm.ParseAsync(account)).QuerySelector("#add-device")!.GetAttribute("href")!);
        var key = await AuthenticatorApp.ScanAsync(browser, setup);
        var refused = await HtmlForm.SubmitAsync(browser, setup,
            new Dictionary<string, string> { ["Code"] = CodeNow(key), ["DeviceName"] = " IPHONE " }, "#otp-setup-form");
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await refused.Content.ReadAsStringAsync(), Does.Contain("ほかの認証アプリに付けています"), "the same name in other letters' case and with spaces is the same name");

        // Renaming: another app may not take it either; the app itself may keep its own.
        await AddDeviceAsync(browser, "iPad");
        // Full-width letters from a Japanese keyboard name the same app.
        var renamed = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string> { ["DeviceName"] = "ｉＰｈｏｎｅ" },
            "#devices li:nth-child(2) form[action*=RenameDevice]");
        Assert.That(ErrorOn(await renamed.Content.ReadAsStringAsync(), "rename-error"), Does.Contain("ほかの認証アプリに付けています"));
        Assert.That((await RenameFirstDeviceAsync(browser, "iPhone")).Headers.Location?.OriginalString, Does.Contain("done=device-renamed"));
        Assert.That(DeviceNamesOn(await (await browser.GetAsync("/account")).Content.ReadAsStringAsync()), Is.EqualTo(new[] { "iPhone", "iPad" }));
    }

    [Test]
    public async Task AnAppAddedInOneTab_AndTheSameFormSentFromAnotherTab_IsAddedOnce_WithoutANameClashOrALeftoverKey()
    {
        var browser = await SignedInAsync("A0072");
        var addLink = (await HtmlForm.ParseAsync(await browser.GetAsync("/account"))).QuerySelector("#add-device")!.GetAttribute("href")!;
        var firstTab = await browser.GetAsync(addLink);
        var key = await AuthenticatorApp.ScanAsync(browser, firstTab);
        var secondTab = await browser.GetAsync(addLink);
        var typed = new Dictionary<string, string> { ["Code"] = CodeNow(key), ["DeviceName"] = "iPad" };

        var first = await HtmlForm.SubmitAsync(browser, firstTab, typed, "#otp-setup-form");
        var second = await HtmlForm.SubmitAsync(browser, secondTab, typed, "#otp-setup-form");

        Assert.That(first.Headers.Location?.OriginalString, Does.Contain("done=device-added"));
        Assert.That(second.Headers.Location?.OriginalString, Does.Contain("done=device-added"), await second.Content.ReadAsStringAsync());
        var devices = await TestMembers.WithDbAsync(_factory, async db =>
        {
            var id = await db.Members.Where(m => m.UserId == "A0072").Select(m => m.Id).SingleAsync();
            return await db.TotpDevices.Where(d => d.MemberId == id).Select(d => d.ConfirmedAt != null).ToListAsync();
        });
        Assert.That(devices, Is.EqualTo(new[] { true }), "one app, and no new key made for the second tab");
    }

    [Test]
    public async Task RenamingADevice_ShowsTheNewNameOnTheAccountPage_AndIsAudited()
    {
        var browser = await SignedInAsync("A0008");
        await AddDeviceAsync(browser, "古いスマホ");
        var renamed = await RenameFirstDeviceAsync(browser, "  家族のiPad ");
        Assert.That(renamed.Headers.Location?.OriginalString, Does.Contain("done=device-renamed"));

        var html = await (await FollowAsync(browser, renamed)).Content.ReadAsStringAsync();
        Assert.That(ErrorOn(html, "account-notice"), Does.Contain("デバイス名を変更しました"));
        Assert.That(DeviceNamesOn(html), Is.EqualTo(new[] { "家族のiPad" }), "the name as typed, without the spaces around it");
        Assert.That(await TestMembers.AuditKindsAsync(_factory, "A0008"), Does.Contain(AuditKinds.AppDeviceRenamed));
    }

    [Test]
    public async Task TheAccountPageOpenedSignedOut_ComesBackToItselfAfterTheLogin()
    {
        await TestMembers.AddAsync(_factory, "A0047", Password);
        var browser = _factory.Browser();
        var toLogin = await browser.GetAsync("/account");
        Assert.That(toLogin.Headers.Location?.OriginalString, Is.EqualTo("/login?returnUrl=%2Faccount"));
        var done = await OtpMail.CompleteAsync(_factory, browser, await LoginAsync(browser, "A0047", Password, toLogin.Headers.Location!.OriginalString), "a0047@example.jp");
        Assert.That(done.Headers.Location?.OriginalString, Is.EqualTo("/account"));
    }

    [Test]
    public async Task ADeviceNameOfFiftyEmoji_IsFiftyCharacters_AndIsAccepted()
    {
        var browser = await SignedInAsync("A0046");
        await AddDeviceAsync(browser, "古いスマホ");
        var emoji = string.Concat(Enumerable.Repeat("📱", 50));
        var renamed = await RenameFirstDeviceAsync(browser, emoji);
        Assert.That(renamed.Headers.Location?.OriginalString, Does.Contain("done=device-renamed"), "each emoji is one character, though two UTF-16 units");
        Assert.That(DeviceNamesOn(await (await FollowAsync(browser, renamed)).Content.ReadAsStringAsync()), Is.EqualTo(new[] { emoji }));
        Assert.That(ErrorOn(await (await RenameFirstDeviceAsync(browser, emoji + "📱")).Content.ReadAsStringAsync(), "rename-error"), Does.Contain("50文字以内"));
    }

    [Test]
    public async Task AMemberWithAnApp_CanStopCodesByMail_AndTakeThemAgain_EachChangeAnnouncedByMail()
    {
        const string address = "a0011@example.jp";
        var browser = await SignedInAsync("A0011");
        var onlyMail = await HtmlForm.ParseAsync(await browser.GetAsync("/account"));
        Assert.That(onlyMail.QuerySelector("#email-codes-toggle"), Is.Null, "mail is this member's only way to get a code");

        await AddDeviceAsync(browser, "スマホ");
        await _factory.NoticesTriedAsync();
        Assert.That(_factory.Mail.To(address).Select(m => m.Text), Has.Some.Contains("認証アプリ（端末）が追加されました"));

        var off = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string>(), "form[action*=EmailCodes]");
        Assert.That(off.Headers.Location?.OriginalString, Does.Contain("done=email-codes-off"));
        Assert.That(ErrorOn(await (await FollowAsync(browser, off)).Content.ReadAsStringAsync(), "email-codes"), Does.Contain("未使用"));
        await _factory.NoticesTriedAsync();
        Assert.That(_factory.Mail.To(address).Select(m => m.Text), Has.Some.Contains("メールで受け取る設定が、オフになりました"));
        var offAtLogin = await (await PasswordOnlyAsync("A0011")).GetStringAsync("/journey/otp");
        Assert.That(offAtLogin, Does.Not.Contain("mode=email"), "the app's page offers no mail code");

        var on = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string>(), "form[action*=EmailCodes]");
        Assert.That(on.Headers.Location?.OriginalString, Does.Contain("done=email-codes-on"));
        await _factory.NoticesTriedAsync();
        Assert.That(_factory.Mail.To(address).Select(m => m.Text), Has.Some.Contains("このメールアドレスでも受け取れるようになりました"));
        var bothAtLogin = await (await PasswordOnlyAsync("A0011")).GetStringAsync("/journey/otp");
        Assert.That(bothAtLogin, Does.Contain("mode=email"), "a member with both may choose");

        Assert.That(await TestMembers.AuditKindsAsync(_factory, "A0011"),
            Does.Contain(AuditKinds.EmailCodesTurnedOff).And.Contain(AuditKinds.EmailCodesTurnedOn));
    }

    [Test]
    public async Task TwoAppsRenamedToOneNameAtOnce_InTwoTabs_DoNotBothTakeIt()
    {
        for (var round = 1; round <= 3; round++)
        {
            var browser = await SignedInAsync($"A007{3 + round}");
            await AddDeviceAsync(browser, "一");
            _clock.Advance(TimeSpan.FromSeconds(40));
            await AddDeviceAsync(browser, "二");
            var firstTab = await browser.GetAsync("/account");
            var secondTab = await browser.GetAsync("/account");
            var typed = new Dictionary<string, string> { ["DeviceName"] = "同じ名前" };

            await Task.WhenAll(
                HtmlForm.SubmitAsync(browser, firstTab, typed, "#devices li:nth-child(1) form[action*=RenameDevice]"),
                HtmlForm.SubmitAsync(browser, secondTab, typed, "#devices li:nth-child(2) form[action*=RenameDevice]"));

            var names = DeviceNamesOn(await (await browser.GetAsync("/account")).Content.ReadAsStringAsync());
            Assert.That(names, Has.Exactly(1).EqualTo("同じ名前"), $"round {round}: one rename won, the other was refused");
        }
    }

    [Test]
    public async Task TwoTabsTakingAwayTheLastTwoWaysToGetACodeAtOnce_LeaveOneOfThem()
    {
        for (var round = 1; round <= 3; round++)
        {
            var userId = $"A002{round}";
            var browser = await SignedInAsync(userId);
            await AddDeviceAsync(browser, "スマホ");
            var mailTab = await browser.GetAsync("/account");
            var deviceTab = await browser.GetAsync("/account");

            await Task.WhenAll(
                HtmlForm.SubmitAsync(browser, mailTab, new Dictionary<string, string>(), "form[action*=EmailCodes]"),
                HtmlForm.SubmitAsync(browser, deviceTab, new Dictionary<string, string>(), "#devices li:first-child form[action*=RemoveDevice]"));

            var (mailCodes, devices) = await TestMembers.WithDbAsync(_factory, async db =>
            {
                var member = await db.Members.SingleAsync(m => m.UserId == userId);
                return (member.EmailOtpEnabledAt is not null, await db.TotpDevices.CountAsync(d => d.MemberId == member.Id && d.ConfirmedAt != null));
            });
            Assert.That(mailCodes || devices > 0, Is.True, $"round {round}: the member can still get a code");
            Assert.That(mailCodes && devices > 0, Is.False, $"round {round}: one of the two changes was made");
        }
    }

    [Test]
    public async Task CodesByMail_CannotBeStopped_WhileTheyAreTheOnlyWayToGetACode()
    {
        var browser = await SignedInAsync("A0012");
        var account = await browser.GetAsync("/account");
        var page = await HtmlForm.ParseAsync(account);
        // The button is not offered; a post made anyway (another tab, a script) is refused by the handler.
        var token = page.QuerySelector("#change-email input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        var forged = await browser.PostAsync("/account?handler=EmailCodes&on=False",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));

        var html = await forged.Content.ReadAsStringAsync();
        Assert.That(ErrorOn(html, "account-error"), Does.Contain("認証アプリを追加してから"));
        // The page's own address, without the form's handler: what Back, a reload and the language switch open by GET.
        var answer = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(html);
        Assert.That(answer.QuerySelector("script[src*='forget-form-post.js']")?.GetAttribute("data-here"), Is.EqualTo("/account"));
        Assert.That(answer.QuerySelector("form.language-switch input[name=returnUrl]")?.GetAttribute("value"), Is.EqualTo("/account"));
        Assert.That(await TestMembers.WithDbAsync(_factory, db => db.Members.Where(m => m.UserId == "A0012").Select(m => m.EmailOtpEnabledAt).SingleAsync()),
            Is.Not.Null);
    }

    // 51 characters, one more than a name may have (the field takes twice that, so a long paste is not cut silently).
    [TestCase("A0009", "とても長いデバイスの名前とても長いデバイスの名前とても長いデバイスの名前とても長いデバイスの名前とても", "50文字以内")]
    [TestCase("A0010", "   ", "デバイス名を入力してください")]
    public async Task ADeviceNameThatIsTooLongOrBlank_IsRefusedWithAMessage_AndTheOldNameIsKept(string userId, string name, string message)
    {
        var browser = await SignedInAsync(userId);
        await AddDeviceAsync(browser, "仕事用スマホ");
        var refused = await RenameFirstDeviceAsync(browser, name);

        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the page is shown again, not left");
        var html = await refused.Content.ReadAsStringAsync();
        Assert.That(ErrorOn(html, "rename-error"), Does.Contain(message), "the reason sits by the device's name field");
        Assert.That(DeviceNamesOn(html), Is.EqualTo(new[] { "仕事用スマホ" }));
        var form = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(html).QuerySelector("#devices form[action*=RenameDevice]")!;
        Assert.That(form.QuerySelector("input[name=DeviceName]")!.GetAttribute("value"), Is.EqualTo(string.IsNullOrWhiteSpace(name) ? null : name),
            "what was typed stays, to be corrected (blanks are nothing)");
        Assert.That(form.HasAttribute("novalidate"), Is.True, "the page's own message, not the browser's");
        var stored = await TestMembers.WithDbAsync(_factory, db => db.TotpDevices.Where(d => db.Members.Any(m => m.Id == d.MemberId && m.UserId == userId) && d.ConfirmedAt != null).Select(d => d.Name).ToListAsync());
        Assert.That(stored, Is.EqualTo(new[] { "仕事用スマホ" }));
        Assert.That(await TestMembers.AuditKindsAsync(_factory, userId), Does.Not.Contain(AuditKinds.AppDeviceRenamed));
    }

    [Test]
    public async Task TheOnlyWayToGetACode_CannotBeRemoved()
    {
        var browser = await SignedInAsync("A0003");
        await AddDeviceAsync(browser, "唯一のスマホ");
        var olderPage = await browser.GetAsync("/account"); // while codes by mail were still on
        await TestMembers.WithDbAsync(_factory, db => db.Members.Where(m => m.UserId == "A0003")
            .ExecuteUpdateAsync(set => set.SetProperty(m => m.EmailOtpEnabledAt, (DateTimeOffset?)null)));

        // Said under the app's 削除, before any confirming, and no confirming offered.
        var account = await HtmlForm.ParseAsync(await browser.GetAsync("/account"));
        Assert.That(account.QuerySelector("#devices li:first-child details #remove-refused")?.TextContent, Does.Contain("削除できません").And.Contain("「メールでも受け取る」"),
            "the member has a verified address: codes by mail are the other way out, and the page offers them");
        Assert.That(account.QuerySelector("form[action*=RemoveDevice]"), Is.Null);

        // The older page's form: refused, the reason beside the button that was pressed.
        var refused = await HtmlForm.ParseAsync(await HtmlForm.SubmitAsync(browser, olderPage, new Dictionary<string, string>(), "#devices li:first-child form[action*=RemoveDevice]"));
        var question = refused.QuerySelector("#devices li:first-child details")!;
        Assert.That(question.HasAttribute("open"), Is.True);
        Assert.That(question.QuerySelector("#remove-refused[role=alert]")?.TextContent, Does.Contain("削除できません"));
        Assert.That(await TestMembers.WithDbAsync(_factory, db => db.TotpDevices.CountAsync(d => d.ConfirmedAt != null && d.Name == "唯一のスマホ")), Is.EqualTo(1));
    }

    [Test]
    public async Task APasswordChangeWithSeveralMistakes_ShowsThemAllAtOnce_ButNeverComparesAGuessWithTheCurrentPassword()
    {
        var browser = await SignedInAsync("A0059");
        var response = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string>
        {
            ["CurrentPassword"] = "not-my-password", ["NewPassword"] = "short1", ["Confirmation"] = "short1",
        }, "#change-password");
        var html = await response.Content.ReadAsStringAsync();
        Assert.That(ErrorOn(html, "current-password-error"), Does.Contain("正しくありません"));
        Assert.That(ErrorOn(html, "new-password-error"), Does.Contain("文字以上"), "the new password's own problem, in the same answer");

        // The member's real password typed as the new one, with a wrong current one: no "same as the current password".
        var guessed = await ChangePasswordAsync(browser, "not-my-password", Password);
        Assert.That(ErrorOn(guessed, "current-password-error"), Does.Contain("正しくありません"));
        Assert.That(ErrorOn(guessed, "new-password-error"), Is.Null.Or.Empty, "that would confirm a guess at the current password without counting it");
    }

    [Test]
    public async Task ChangingThePassword_NeedsTheCurrentOne_AndWrongOnesCountTowardsTheLockout_ButEmptyOrOverlongOnesDoNot()
    {
        var browser = await SignedInAsync("A0004");
        for (var i = 0; i < 6; i++)
        {
            var empty = await ChangePasswordAsync(browser, "", "Brand-New-Pass-1");
            Assert.That(ErrorOn(empty, "current-password-error"), Does.Contain("パスワードを入力してください"), "an empty field is asked for, not counted");
            var pasted = await ChangePasswordAsync(browser, new string('x', 300), "Brand-New-Pass-1");
            Assert.That(ErrorOn(pasted, "current-password-error"), Does.Contain("パスワードが長すぎます"), "longer than any password: a paste gone wrong, not counted");
        }

        var stillOpen = await ChangePasswordAsync(browser, "not-my-password", "Brand-New-Pass-1");
        Assert.That(ErrorOn(stillOpen, "current-password-error"), Does.Contain("正しくありません"), "the empty ones took no attempt");
        for (var i = 0; i < 5; i++)
        {
            await ChangePasswordAsync(browser, "not-my-password", "Brand-New-Pass-1");
        }

        var locked = await ChangePasswordAsync(browser, Password, "Brand-New-Pass-1");
        Assert.That(ErrorOn(locked, "current-password-error"), Does.Contain("パスワードを確認できません").And.Contain("ログインもできません"), "even the right password waits");

        _clock.Advance(TimeSpan.FromMinutes(5));
        var same = await ChangePasswordAsync(browser, Password, Password);
        Assert.That(ErrorOn(same, "new-password-error"), Does.Contain("現在のパスワードと同じ"));
        var refusals = await TestMembers.WithDbAsync(_factory, async db =>
        {
            var id = await db.Members.Where(m => m.UserId == "A0004").Select(m => m.Id).SingleAsync();
            return await db.AuditEvents.Where(a => a.MemberId == id && a.Kind == Kosmo.Idp.Operations.Audit.AuditKinds.PasswordRefused).Select(a => a.Detail).ToListAsync();
        });
        Assert.That(refusals, Has.Exactly(1).StartsWith("account page"), "refused by the rules, audited as on the journey's page");
        var changed = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string>
        {
            ["CurrentPassword"] = Password, ["NewPassword"] = "Brand-New-Pass-1", ["Confirmation"] = "Brand-New-Pass-1",
        }, "#change-password");
        Assert.That(changed.Headers.Location!.OriginalString, Does.Contain("done=password"));
        await _factory.NoticesTriedAsync();
        Assert.That(_factory.Mail.To("a0004@example.jp").Last().Text, Does.Contain("パスワードが変更されました"), "the member is told");
        Assert.That(PathOf(await LoginAsync(_factory.Browser(), "A0004", "Brand-New-Pass-1")), Is.EqualTo("/journey/otp"));
    }

    [Test]
    public async Task ChangingThePassword_SignsOutEveryOtherDevice_AndEndsTheirAppsTokens_ButNotThisOnes()
    {
        await TestMembers.AddAsync(_factory, "A0040", Password);
        var there = TestRelyingApp.Portal(_factory);
        var thereTokens = await there.SignedInTokensAsync("A0040", Password);
        _clock.Advance(TimeSpan.FromSeconds(31));
        var here = await SignedInAsync("A0040", create: false);

        var changed = await HtmlForm.SubmitAsync(here, await here.GetAsync("/account"), new Dictionary<string, string>
        {
            ["CurrentPassword"] = Password, ["NewPassword"] = "Brand-New-Pass-40", ["Confirmation"] = "Brand-New-Pass-40",
        }, "#change-password");

        Assert.That(changed.Headers.Location!.OriginalString, Does.Contain("done=password"));
        Assert.That(PathOf(await here.GetAsync("/account")), Is.EqualTo("(no redirect: OK)"), "this browser stays signed in");
        Assert.That(PathOf(await there.Browser.GetAsync("/account")), Is.EqualTo("/login"), "whoever knew the old password is signed out");
        Assert.That((await there.RefreshAsync(thereTokens.RefreshToken!)).Error, Is.EqualTo("invalid_grant"));
    }

    [Test]
    public async Task AnAddressChangeCancelledWhileItsMailIsStillWithTheProvider_DoesNotRestartTheCooldown()
    {
        var browser = await SignedInAsync("A0053");
        var forms = await Task.WhenAll(browser.GetAsync("/account"), browser.GetAsync("/account"), browser.GetAsync("/account"));
        _factory.Mail.Delay = TimeSpan.FromMilliseconds(1500);
        try
        {
            var first = HtmlForm.SubmitAsync(browser, forms[0], new Dictionary<string, string> { ["NewEmail"] = "first-a0053@example.jp" }, "#change-email");
            // While the first mail is on its way: the change withdrawn (its link deleted), then another address.
            await Task.Delay(400);
            await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string>(), "#cancel-email-change");
            var second = await HtmlForm.SubmitAsync(browser, forms[2], new Dictionary<string, string> { ["NewEmail"] = "second-a0053@example.jp" }, "#change-email");
            await first;

            Assert.That(ErrorOn(await second.Content.ReadAsStringAsync(), "account-error"), Does.Contain("秒ほどお待ちのうえ"));
        }
        finally
        {
            _factory.Mail.Delay = TimeSpan.Zero;
        }

        Assert.That(_factory.Mail.To("second-a0053@example.jp"), Is.Empty, "the first mail counts from the moment its link was saved");
    }

    [Test]
    public async Task ANewAddressTheMailProviderRefuses_AsksTheMemberToCheckIt_AndKeepsTheOldAddress()
    {
        var browser = await SignedInAsync("A0066");
        _factory.Mail.RefusedAddresses["a0066.@example.jp"] = true;

        var refused = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string> { ["NewEmail"] = "a0066.@example.jp" }, "#change-email");

        var html = await refused.Content.ReadAsStringAsync();
        Assert.That(ErrorOn(html, "account-error"), Does.Contain("このメールアドレスにはメールを送れませんでした"));
        Assert.That(ErrorOn(html, "cancel-email-change"), Is.Null, "no change is waiting for a link that was never mailed");
        var member = await TestMembers.WithDbAsync(_factory, db => db.Members.AsNoTracking().SingleAsync(m => m.UserId == "A0066"));
        Assert.That(member.Email, Is.EqualTo("a0066@example.jp"), "the address that works stays");
    }

    // Enrolled a month ago, before recovery codes (or with the set never shown); or moments before this
    // sign-in, but not in it (set up by an operator's tool or on another device): ten new ways past the second factor.
    [TestCase("A0067", 30 * 24 * 3600)]
    [TestCase("A0073", 30)]
    public async Task AFirstSetOfRecoveryCodes_ForAMemberWhoAlreadyUsesCodes_IsMailedAsANotice(string userId, int enrolledSecondsBefore)
    {
        await TestMembers.AddAsync(_factory, userId, Password);
        var enrolledAt = _clock.GetUtcNow().AddSeconds(-enrolledSecondsBefore);
        await TestMembers.WithDbAsync(_factory, db => db.Members.Where(m => m.UserId == userId).ExecuteUpdateAsync(set => set
            .SetProperty(m => m.RecoveryCodesSavedAt, (DateTimeOffset?)null).SetProperty(m => m.EmailOtpEnabledAt, enrolledAt)));
        var browser = _factory.Browser();

        var shown = await OtpMail.CompleteAsync(_factory, browser, await LoginAsync(browser, userId, Password), userId.ToLowerInvariant() + "@example.jp");

        Assert.That(PathOf(shown), Is.EqualTo("/journey/recovery-codes"));
        Assert.That(await RecoveryCodesOnAsync(await FollowAsync(browser, shown)), Has.Count.EqualTo(10));
        await _factory.NoticesTriedAsync();
        var notice = _factory.Mail.To(userId.ToLowerInvariant() + "@example.jp").Single(m => m.Subject.Contains("アカウントのお知らせ", StringComparison.Ordinal));
        Assert.That(notice.Subject, Does.Contain("リカバリーコードの発行"));
        Assert.That(notice.Text, Does.Contain("リカバリーコードが発行されました"));
    }

    [Test]
    public async Task AnAddressChangeWhoseLinkExpired_IsNotShownAsWaiting_AndTheAddressIsOfferedAgain()
    {
        var browser = await SignedInAsync("A0062");
        await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string> { ["NewEmail"] = "new-a0062@example.jp" }, "#change-email");
        await TestMembers.WithDbAsync(_factory, db => db.EmailVerifications.Where(v => v.Email == "new-a0062@example.jp")
            .ExecuteUpdateAsync(set => set.SetProperty(v => v.ExpiresAt, v => v.SentAt)));
        _clock.Advance(TimeSpan.FromMinutes(2));

        var page = await browser.GetAsync("/account");
        var html = await page.Content.ReadAsStringAsync();
        Assert.That(ErrorOn(html, "email-link-expired"), Does.Contain("new-a0062@example.jp").And.Contain("有効期限が切れた"));
        Assert.That(ErrorOn(html, "cancel-email-change"), Is.Null, "nothing is waiting that could be cancelled");
        Assert.That(html, Does.Contain("value=\"new-a0062@example.jp\""), "the address is in the field, ready to send again");

        var again = await HtmlForm.SubmitAsync(browser, page, new Dictionary<string, string> { ["NewEmail"] = "new-a0062@example.jp" }, "#change-email");
        Assert.That(again.Headers.Location?.OriginalString, Does.Contain("done=email-sent"));
        Assert.That(_factory.Mail.To("new-a0062@example.jp"), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task AnAddressChangeNotYetConfirmed_CanBeCancelled_AndEndsWithTheOtherSessions()
    {
        var browser = await SignedInAsync("A0041");
        await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string> { ["NewEmail"] = "typo-a0041@example.jp" }, "#change-email");
        var cancelled = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string>(), "#cancel-email-change");
        Assert.That(cancelled.Headers.Location!.OriginalString, Does.Contain("done=email-change-cancelled"));
        var firstLink = await (await _factory.Browser().GetAsync(LinkIn(_factory.Mail.To("typo-a0041@example.jp").Single()))).Content.ReadAsStringAsync();
        Assert.That(ErrorOn(firstLink, "verify-refused"), Does.Contain("変更を取り消した場合"), "the cancelled link no longer works, and the page names that reason too");
        Assert.That(ErrorOn(firstLink, "verify-sign-in"), Is.EqualTo("KOSMO Web にログインする"), "a way on from a phone that has no original page");
        var again = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string> { ["NewEmail"] = "again-a0041@example.jp" }, "#change-email");
        Assert.That(ErrorOn(await again.Content.ReadAsStringAsync(), "account-error"), Does.Contain("秒ほどお待ちのうえ"), "cancelling does not restart the resend cooldown");
        Assert.That(_factory.Mail.To("again-a0041@example.jp"), Is.Empty);

        // Typed by someone in another session, then the member signs out the other devices.
        _clock.Advance(TimeSpan.FromMinutes(2));
        var intruder = await SignedInAsync("A0041", create: false);
        await HtmlForm.SubmitAsync(intruder, await intruder.GetAsync("/account"), new Dictionary<string, string> { ["NewEmail"] = "intruder-a0041@example.jp" }, "#change-email");
        var signedOut = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string>(), "form[action*=SignOutOthers]");
        Assert.That(ErrorOn(await (await FollowAsync(browser, signedOut)).Content.ReadAsStringAsync(), "account-notice"),
            Does.Contain("この端末以外はすべてログアウトしました").And.Contain("メールアドレスの変更も取り消しました"), "the member hears that the change waiting for its link is gone");

        var link = await _factory.Browser().GetAsync(LinkIn(_factory.Mail.To("intruder-a0041@example.jp").Single()));
        Assert.That(ErrorOn(await link.Content.ReadAsStringAsync(), "verify-refused"), Is.Not.Null, "the intruder's link died with the session");
        Assert.That(await EmailOfAsync("A0041"), Is.EqualTo("a0041@example.jp"));
    }

    [Test]
    public async Task TheFirstOfTwoMailsForTheSameNewAddress_StillSaysConfirmed_AfterTheOtherDevicesWereSignedOut()
    {
        var browser = await SignedInAsync("A0051");
        await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string> { ["NewEmail"] = "new-a0051@example.jp" }, "#change-email");
        _clock.Advance(TimeSpan.FromMinutes(2));
        await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string> { ["NewEmail"] = "new-a0051@example.jp" }, "#change-email");
        var mails = _factory.Mail.To("new-a0051@example.jp");
        Assert.That(mails, Has.Count.EqualTo(2));
        var phone = _factory.Browser();
        var confirmed = await HtmlForm.SubmitAsync(phone, await phone.GetAsync(LinkIn(mails[1])), new Dictionary<string, string>());
        Assert.That(await EmailOfAsync("A0051"), Is.EqualTo("new-a0051@example.jp"));
        Assert.That(ErrorOn(await confirmed.Content.ReadAsStringAsync(), "verify-go-back"), Does.Contain("アカウント設定").And.Not.Contain("「更新」"),
            "the account page has no 更新 button to press");

        // Ending the other sessions cancels pending links, not the replaced one, which only ever tells what happened.
        await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string>(), "form[action*=SignOutOthers]");
        var first = await (await _factory.Browser().GetAsync(LinkIn(mails[0]))).Content.ReadAsStringAsync();
        Assert.That(ErrorOn(first, "verify-done"), Does.Contain("確認が完了しました"));
        Assert.That(ErrorOn(first, "verify-sign-in"), Is.EqualTo("KOSMO Web にログインする"), "the mail opened again on a phone, which has no original page");
    }

    [Test]
    public async Task SigningOutOtherDevices_EndsTheirSessions_AndRevokesTheirRefreshTokens_ButNotThisDevicesApps()
    {
        await TestMembers.AddAsync(_factory, "A0005", Password);
        // The portal signed in on two devices: "there" (another browser) and "here".
        var there = TestRelyingApp.Portal(_factory);
        var thereTokens = await there.SignedInTokensAsync("A0005", Password);
        _clock.Advance(TimeSpan.FromSeconds(31));
        var here = TestRelyingApp.Portal(_factory);
        var hereTokens = await here.SignedInTokensAsync("A0005", Password);

        var signedOut = await HtmlForm.SubmitAsync(here.Browser, await here.Browser.GetAsync("/account"), new Dictionary<string, string>(), "form[action*=SignOutOthers]");
        Assert.That(signedOut.Headers.Location!.OriginalString, Does.Contain("done=signed-out"));

        Assert.That(PathOf(await here.Browser.GetAsync("/account")), Is.EqualTo("(no redirect: OK)"), "this browser stays signed in");
        Assert.That(PathOf(await there.Browser.GetAsync("/account")), Is.EqualTo("/login"), "the other browser is signed out");
        Assert.That((await there.RefreshAsync(thereTokens.RefreshToken!)).Error, Is.EqualTo("invalid_grant"), "its refresh token is revoked");
        var stillHere = await here.RefreshAsync(hereTokens.RefreshToken!);
        Assert.That(stillHere.AccessToken, Is.Not.Null, "the app on this device keeps working: " + stillHere.Error);
    }

    [Test]
    public async Task TheCurrentAddress_TypedAsANewOne_IsRefusedByTheField_AndNothingIsMailed()
    {
        var browser = await SignedInAsync("A0043");
        var mails = _factory.Mail.To("a0043@example.jp").Count;
        var refused = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string> { ["NewEmail"] = "A0043@Example.JP" }, "#change-email");
        var html = await refused.Content.ReadAsStringAsync();
        Assert.That(html, Does.Contain("現在登録されているメールアドレスと同じです。"));
        Assert.That(html, Does.Not.Contain("の確認待ちです"), "no change waits for a link");
        Assert.That(_factory.Mail.To("a0043@example.jp"), Has.Count.EqualTo(mails));
    }

    [Test]
    public async Task TheAccountPage_SaysAChangeIsDone_OnlyWhenThisProviderMadeItForThisMember()
    {
        var browser = await SignedInAsync("A0069");
        var other = await SignedInAsync("A0070");
        var signedOut = await HtmlForm.SubmitAsync(other, await other.GetAsync("/account"), new Dictionary<string, string>(), "form[action*=SignOutOthers]");
        var genuine = signedOut.Headers.Location!.OriginalString;
        Assert.That(ErrorOn(await other.GetStringAsync(genuine), "account-notice"), Does.Contain("この端末以外はすべてログアウトしました"));

        // A link someone sends the member: the page must not claim the other devices were signed out.
        foreach (var forged in new[] { "/account?done=signed-out", "/account?done=password&proof=made-up", genuine,
            genuine.Replace("done=signed-out", "done=password", StringComparison.Ordinal) })
        {
            Assert.That(ErrorOn(await browser.GetStringAsync(forged), "account-notice"), Is.Null, forged);
        }

        Assert.That(ErrorOn(await other.GetStringAsync(genuine.Replace("done=signed-out", "done=password", StringComparison.Ordinal)), "account-notice"), Is.Null,
            "the proof is for what was done, not any outcome");
        Assert.That(await browser.GetStringAsync("/account?done=confirmed&cancelled=email-change"), Does.Not.Contain("取り消しました"),
            "\"confirmed\" needs no proof, and so withdraws nothing");
        Assert.That(await browser.GetStringAsync("/account?done=confirmed&email=someone%40attacker.example"), Does.Not.Contain("someone@attacker.example"),
            "a link cannot put an address of its own in the field for the member to confirm");
    }

    [Test]
    public async Task ANewEmailAddress_TakesEffectOnlyOnceItsLinkIsOpened()
    {
        var browser = await SignedInAsync("A0006");
        var sent = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string> { ["NewEmail"] = "new-a0006@example.jp" }, "#change-email");
        Assert.That(sent.Headers.Location?.OriginalString, Does.StartWith("/account?done=email-sent&proof="), "post/redirect/get: a reload sends nothing");
        Assert.That(ErrorOn(await (await FollowAsync(browser, sent)).Content.ReadAsStringAsync(), "account-notice"), Does.Contain("new-a0006@example.jp"));
        Assert.That(await EmailOfAsync("A0006"), Is.EqualTo("a0006@example.jp"), "unchanged until confirmed");

        var phone = _factory.Browser();
        var verification = _factory.Mail.To("new-a0006@example.jp").Single();
        Assert.That(verification.Text, Does.Contain("このアドレスに変更する手続き").And.Not.Contain("「更新」"),
            "the account page has no 更新 button to send the member back to");
        var link = LinkIn(verification);
        await HtmlForm.SubmitAsync(phone, await phone.GetAsync(link), new Dictionary<string, string>());
        Assert.That(await EmailOfAsync("A0006"), Is.EqualTo("new-a0006@example.jp"));
        await _factory.NoticesTriedAsync();
        Assert.That(_factory.Mail.To("a0006@example.jp").Last().Text, Does.Contain("別のアドレスに変更されました"), "the old address is told");

        // The phone's page says to reload the first one: it shows the new address, and no error.
        var reloaded = await (await browser.GetAsync(sent.Headers.Location)).Content.ReadAsStringAsync();
        Assert.That(ErrorOn(reloaded, "account-notice"), Is.Null);
        Assert.That(reloaded, Does.Contain("new-a0006@example.jp").And.Not.Contain("現在登録されているメールアドレスと同じです"));
    }

    [Test]
    public async Task ACodeMailedToTheOldAddress_DiesWhenANewAddressIsConfirmed_AndTheNextCodeGoesToTheNewOne()
    {
        var browser = await SignedInAsync("A0056");
        // Another device signs in with the password; its one-time-password page mails a code to the old address.
        var other = await PasswordOnlyAsync("A0056");
        var otpPage = await other.GetAsync("/journey/otp");
        var oldCode = OtpMail.LatestCode(_factory, "a0056@example.jp");

        await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string> { ["NewEmail"] = "new-a0056@example.jp" }, "#change-email");
        var phone = _factory.Browser();
        await HtmlForm.SubmitAsync(phone, await phone.GetAsync(LinkIn(_factory.Mail.To("new-a0056@example.jp").Single())), new Dictionary<string, string>());
        Assert.That(await EmailOfAsync("A0056"), Is.EqualTo("new-a0056@example.jp"));

        var refused = await HtmlForm.SubmitAsync(other, otpPage, new Dictionary<string, string> { ["Code"] = oldCode }, "#otp-form");
        Assert.That(PathOf(refused), Is.Not.EqualTo("/"), "the code in the old mailbox no longer signs in");

        var again = await other.GetAsync("/journey/otp");
        Assert.That(await again.Content.ReadAsStringAsync(), Does.Contain("ne***@example.jp"), "the page names the address the code went to");
        var accepted = await HtmlForm.SubmitAsync(other, again, new Dictionary<string, string> { ["Code"] = OtpMail.LatestCode(_factory, "new-a0056@example.jp") }, "#otp-form");
        Assert.That(PathOf(accepted), Is.EqualTo("/"));
    }

    [Test]
    public async Task CancellingAnAddressChangeAlreadyConfirmedOrWithdrawn_SaysWhatBecameOfIt_AndNamesTheAddress()
    {
        var browser = await SignedInAsync("A0057");
        await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string> { ["NewEmail"] = "new-a0057@example.jp" }, "#change-email");
        var stillOpen = await browser.GetAsync("/account");
        var phone = _factory.Browser();
        await HtmlForm.SubmitAsync(phone, await phone.GetAsync(LinkIn(_factory.Mail.To("new-a0057@example.jp").Single())), new Dictionary<string, string>());

        var cancelled = await HtmlForm.SubmitAsync(browser, stillOpen, new Dictionary<string, string>(), "#cancel-email-change");
        var notice = ErrorOn(await (await FollowAsync(browser, cancelled)).Content.ReadAsStringAsync(), "account-notice");
        Assert.That(notice, Does.Contain("すでに確定していたため、取り消せませんでした").And.Contain("new-a0057@example.jp").And.Contain("パスワードを変更し"));
        Assert.That(await EmailOfAsync("A0057"), Is.EqualTo("new-a0057@example.jp"));

        // Withdrawn in another tab: nothing to cancel, nothing happened, and no alarm.
        _clock.Advance(TimeSpan.FromMinutes(2));
        await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string> { ["NewEmail"] = "typo-a0057@example.jp" }, "#change-email");
        var tabs = await Task.WhenAll(browser.GetAsync("/account"), browser.GetAsync("/account"));
        await HtmlForm.SubmitAsync(browser, tabs[0], new Dictionary<string, string>(), "#cancel-email-change");
        var twice = await HtmlForm.SubmitAsync(browser, tabs[1], new Dictionary<string, string>(), "#cancel-email-change");
        Assert.That(ErrorOn(await (await FollowAsync(browser, twice)).Content.ReadAsStringAsync(), "account-notice"),
            Is.EqualTo("取り消せるメールアドレスの変更はありませんでした。登録されているメールアドレスは new-a0057@example.jp です。"));
    }

    [Test]
    public async Task RenamingOrRemovingAnAppAlreadyRemovedInAnotherTab_SaysItIsAlreadyGone()
    {
        var browser = await SignedInAsync("A0058");
        await AddDeviceAsync(browser, "スマホ");
        var tabs = await Task.WhenAll(browser.GetAsync("/account"), browser.GetAsync("/account"), browser.GetAsync("/account"));
        await HtmlForm.SubmitAsync(browser, tabs[0], new Dictionary<string, string>(), "#devices li:first-child form[action*=RemoveDevice]");

        var renamed = await HtmlForm.SubmitAsync(browser, tabs[1], new Dictionary<string, string> { ["DeviceName"] = "新しい名前" }, "#devices li:first-child form[action*=RenameDevice]");
        var removed = await HtmlForm.SubmitAsync(browser, tabs[2], new Dictionary<string, string>(), "#devices li:first-child form[action*=RemoveDevice]");
        foreach (var answer in new[] { renamed, removed })
        {
            var notice = ErrorOn(await (await FollowAsync(browser, answer)).Content.ReadAsStringAsync(), "account-notice");
            Assert.That(notice, Is.EqualTo("この認証アプリはすでに削除されています。"));
        }
    }

    [Test]
    public async Task NewRecoveryCodes_ReplaceTheOldSet_AndLeadBackToTheAccountPage_AndTheMemberIsMailedOfTheReplacement()
    {
        var browser = await SignedInAsync("A0007");
        // Asked once more, as removing an app is: a mis-tap would kill the codes kept on paper.
        var question = (await HtmlForm.ParseAsync(await browser.GetAsync("/account"))).QuerySelector("details.new-recovery-codes")!;
        Assert.That(question.HasAttribute("open"), Is.False);
        Assert.That(question.QuerySelector("form[action*=NewRecoveryCodes]")?.TextContent, Does.Contain("すべて使えなくなります").And.Contain("発行する"));
        HttpResponseMessage back = null!;
        foreach (var set in new[] { "first", "replacement" })
        {
            var toCodes = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string>(), "form[action*=NewRecoveryCodes]");
            Assert.That(PathOf(toCodes), Is.EqualTo("/journey/recovery-codes"));
            var codesPage = await FollowAsync(browser, toCodes);
            var codes = await RecoveryCodesOnAsync(codesPage);
            Assert.That(codes, Has.Count.EqualTo(10));
            back = await HtmlForm.SubmitAsync(browser, codesPage, new Dictionary<string, string>());
            // Ten ways past the second factor: a set that replaces one is announced, whoever asked.
            await _factory.NoticesTriedAsync();
            Assert.That(_factory.Mail.To("a0007@example.jp").Count(m => m.Text.Contains("リカバリーコードが新しく発行されました", StringComparison.Ordinal)),
                Is.EqualTo(set == "first" ? 0 : 1), set);
        }

        Assert.That(back.Headers.Location!.OriginalString, Is.EqualTo("/account"));
        var unused = await TestMembers.WithDbAsync(_factory, async db =>
        {
            var id = await db.Members.Where(m => m.UserId == "A0007").Select(m => m.Id).SingleAsync();
            return await db.RecoveryCodes.CountAsync(c => c.MemberId == id && c.UsedAt == null);
        });
        Assert.That(unused, Is.EqualTo(10));
    }

    [Test]
    public async Task RecoveryCodesIssuedWhileAnOperatorResetsTheSecondFactor_DoNotOutliveTheReset()
    {
        for (var round = 1; round <= 5; round++)
        {
            var userId = $"A008{round}";
            var browser = await SignedInAsync(userId);
            var toCodes = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string>(), "form[action*=NewRecoveryCodes]");
            Assert.That(PathOf(toCodes), Is.EqualTo("/journey/recovery-codes"));

            await using var scope = _factory.Services.CreateAsyncScope();
            var operators = scope.ServiceProvider.GetRequiredService<Kosmo.Idp.Operations.MemberCommands.MemberAdministration>();
            await Task.WhenAll(
                FollowAsync(browser, toCodes),
                operators.ResetMfaAsync(userId, new Kosmo.Idp.Operations.MemberCommands.OperatorNote("tester", "lost phone"), forgetEmail: false, CancellationToken.None));

            var codes = await TestMembers.WithDbAsync(_factory, async db =>
            {
                var id = await db.Members.Where(m => m.UserId == userId).Select(m => m.Id).SingleAsync();
                return await db.RecoveryCodes.CountAsync(c => c.MemberId == id);
            });
            Assert.That(codes, Is.Zero, $"round {round}: the reset leaves no way past the second factor");
        }
    }

    [Test]
    public async Task AfterTheRecentSignInWindow_ChangesToHowTheMemberSignsIn_WaitForAConfirmation_AndNothingChangesBefore()
    {
        var browser = await SignedInAsync("A0031");
        await AddDeviceAsync(browser, "スマホ");
        _clock.Advance(TimeSpan.FromMinutes(16));

        var account = await browser.GetAsync("/account");
        Assert.That(ErrorOn(await account.Content.ReadAsStringAsync(), "confirm-hint"), Does.Contain("本人確認"), "the member is told before pressing anything");
        var changes = new (string Form, Dictionary<string, string> Fields)[]
        {
            ("#devices li:first-child form[action*=RemoveDevice]", []),
            ("form[action*=EmailCodes]", []),
            ("form[action*=NewRecoveryCodes]", []),
            ("#change-email", new() { ["NewEmail"] = "someone-else@example.jp" }),
        };
        foreach (var (form, fields) in changes)
        {
            var refused = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), fields, form);
            Assert.That(PathOf(refused), Is.EqualTo("/journey/confirm"), form);
        }

        Assert.That(PathOf(await browser.GetAsync("/journey/otp-setup/app?returnUrl=%2Faccount")), Is.EqualTo("/journey/confirm"),
            "no second authenticator either");
        var member = await TestMembers.WithDbAsync(_factory, db => db.Members.AsNoTracking().SingleAsync(m => m.UserId == "A0031"));
        Assert.That(member.EmailOtpEnabledAt, Is.Not.Null);
        Assert.That(member.RecoveryCodesSavedAt, Is.Not.Null);
        Assert.That(await TestMembers.WithDbAsync(_factory, db => db.TotpDevices.CountAsync(d => d.MemberId == member.Id && d.ConfirmedAt != null)), Is.EqualTo(1));
        Assert.That(_factory.Mail.To("someone-else@example.jp"), Is.Empty);

        // What does not change how one signs in stays at hand: a name, and signing the others out.
        Assert.That((await RenameFirstDeviceAsync(browser, "私のスマホ")).Headers.Location?.OriginalString, Does.Contain("done=device-renamed"));
        var signedOut = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string>(), "form[action*=SignOutOthers]");
        Assert.That(signedOut.Headers.Location?.OriginalString, Does.Contain("done=signed-out"));
    }

    [Test]
    public async Task ConfirmingWithThePasswordAndACode_ReturnsToTheAccountPage_WhereTheChangeIsMade_AndAWrongPasswordCountsTowardsTheLockout()
    {
        var browser = await SignedInAsync("A0032");
        _clock.Advance(TimeSpan.FromMinutes(16));
        var toConfirm = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string> { ["NewEmail"] = "new-a0032@example.jp" }, "#change-email");

        var wrong = await HtmlForm.SubmitAsync(browser, await FollowAsync(browser, toConfirm), new Dictionary<string, string> { ["Password"] = "not-my-password" }, "#confirm-form");
        Assert.That(ErrorOn(await wrong.Content.ReadAsStringAsync(), "password-error"), Does.Contain("パスワードが正しくありません"));
        Assert.That(await TestMembers.WithDbAsync(_factory, db => db.SignInThrottles.Where(t => t.NormalizedUserId == "A0032").Select(t => t.FailedCount).SingleAsync()),
            Is.EqualTo(1), "the same count as the login page's");

        var toCode = await HtmlForm.SubmitAsync(browser, await FollowAsync(browser, toConfirm), new Dictionary<string, string> { ["Password"] = Password }, "#confirm-form");
        var back = await OtpMail.CompleteAsync(_factory, browser, toCode, "a0032@example.jp");
        Assert.That(back.Headers.Location?.OriginalString, Does.StartWith("/account?done=confirmed&email=").And.Not.Contain("a0032%40"),
            "the address comes back sealed, not in the clear in the confirmation's URLs");
        var account = await FollowAsync(browser, back);
        var html = await account.Content.ReadAsStringAsync();
        Assert.That(ErrorOn(html, "account-notice"), Does.Contain("本人確認ができました").And.Contain("15分間"));
        Assert.That(ErrorOn(html, "confirm-hint"), Is.Null);
        Assert.That(html, Does.Contain("value=\"new-a0032@example.jp\""), "the address typed before the confirmation is in its field, not to be typed again");

        var sent = await HtmlForm.SubmitAsync(browser, account, new Dictionary<string, string> { ["NewEmail"] = "new-a0032@example.jp" }, "#change-email");
        Assert.That(ErrorOn(await (await FollowAsync(browser, sent)).Content.ReadAsStringAsync(), "account-notice"), Does.Contain("new-a0032@example.jp"));
        Assert.That(_factory.Mail.To("new-a0032@example.jp"), Has.Count.EqualTo(1));
        Assert.That(await TestMembers.WithDbAsync(_factory, db => db.SignInThrottles.AnyAsync(t => t.NormalizedUserId == "A0032")), Is.False, "the right password clears the count");
        Assert.That(await TestMembers.AuditKindsAsync(_factory, "A0032"), Does.Contain(AuditKinds.SignInFailed).And.Contain(AuditKinds.OtpVerified));
    }

    [Test]
    public async Task AMemberWhoLeavesTheCodePageOfAConfirmation_KeepsTheSessionAsItWas_ItsAccountPageAndItsApps()
    {
        await TestMembers.AddAsync(_factory, "A0042", Password);
        var app = TestRelyingApp.Portal(_factory);
        Assert.That((await app.SignInAsync("A0042", Password, Pkce.Create())).Code, Is.Not.Null);
        _clock.Advance(TimeSpan.FromMinutes(16));
        var toConfirm = await HtmlForm.SubmitAsync(app.Browser, await app.Browser.GetAsync("/account"),
            new Dictionary<string, string> { ["NewEmail"] = "new-a0042@example.jp" }, "#change-email");
        var toCode = await HtmlForm.SubmitAsync(app.Browser, await FollowAsync(app.Browser, toConfirm), new Dictionary<string, string> { ["Password"] = Password }, "#confirm-form");
        Assert.That(PathOf(toCode), Is.EqualTo("/journey/otp"));
        var codePage = await HtmlForm.ParseAsync(await FollowAsync(app.Browser, toCode));
        Assert.That(codePage.GetElementById("otp-confirm-cancel")?.GetAttribute("href"), Is.EqualTo("/account"), "a way back without a code");
        Assert.That(codePage.GetElementById("otp-sign-out"), Is.Null, "not the login's way out, which would end the session");

        // The member goes elsewhere instead of typing the code: nothing holds them at the code page.
        var account = await app.Browser.GetAsync("/account");
        Assert.That(account.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(ErrorOn(await account.Content.ReadAsStringAsync(), "confirm-hint"), Does.Contain("本人確認"), "and the changes still wait for a code");
        var again = await app.Browser.GetAsync(app.AuthorizeUrl(Pkce.Create()));
        Assert.That(again.Headers.Location?.OriginalString, Does.StartWith(KosmoFactory.PortalRedirect + "?code="), "the app signs in without a password or code, as before");

        // The typed password is good for the window of a recent sign-in only; after it, the code page is not offered.
        _clock.Advance(TimeSpan.FromMinutes(16));
        Assert.That(PathOf(await app.Browser.GetAsync("/journey/otp?returnUrl=%2Faccount")), Is.EqualTo("/account"));
        Assert.That(_factory.Mail.To("new-a0042@example.jp"), Is.Empty);
    }

    [Test]
    public async Task ARelyingAppAskingForAnApp_CannotAddOneToAnOldSession_UntilTheMemberConfirms()
    {
        await TestMembers.AddAsync(_factory, "A0033", Password);
        var app = TestRelyingApp.Portal(_factory);
        await app.SignInAsync("A0033", Password, Pkce.Create());
        _clock.Advance(TimeSpan.FromMinutes(16));

        var demand = new Dictionary<string, string?> { ["acr_values"] = "urn:kosmo:acr:mfa:app" };
        var toSetup = await app.Browser.GetAsync(app.AuthorizeUrl(Pkce.Create(), demand));
        Assert.That(PathOf(toSetup), Is.EqualTo("/journey/otp-setup/app"));
        var toConfirm = await FollowAsync(app.Browser, toSetup);
        Assert.That(PathOf(toConfirm), Is.EqualTo("/journey/confirm"), "someone at a PC left signed in cannot add their own app");

        var toCode = await HtmlForm.SubmitAsync(app.Browser, await FollowAsync(app.Browser, toConfirm), new Dictionary<string, string> { ["Password"] = Password }, "#confirm-form");
        var back = await OtpMail.CompleteAsync(_factory, app.Browser, toCode, "a0033@example.jp");
        Assert.That(PathOf(back), Is.EqualTo("/journey/otp-setup/app"));
        var setup = await FollowAsync(app.Browser, back);
        Assert.That(ErrorOn(await setup.Content.ReadAsStringAsync(), "otp-app-required"), Is.Not.Null, "still for the app that asked");
        var secret = await AuthenticatorApp.ScanAsync(app.Browser, setup);
        var enrolled = await HtmlForm.SubmitAsync(app.Browser, setup, new Dictionary<string, string> { ["Code"] = CodeNow(secret) }, "#otp-setup-form");
        Assert.That(PathOf(enrolled), Is.EqualTo("/connect/authorize"), "and on to the app");
    }

    [Test]
    public async Task NewRecoveryCodesAskedForOnOneDevice_AreNotShownToAnOldSessionElsewhere()
    {
        var pc = await SignedInAsync("A0034");
        _clock.Advance(TimeSpan.FromMinutes(16));
        var phone = await SignedInAsync("A0034", create: false);
        var toCodes = await HtmlForm.SubmitAsync(phone, await phone.GetAsync("/account"), new Dictionary<string, string>(), "form[action*=NewRecoveryCodes]");
        Assert.That(PathOf(toCodes), Is.EqualTo("/journey/recovery-codes"), "the phone signed in just now");
        var issued = await IssuedSetsAsync("A0034");

        // The PC's session is old: it is neither shown a set nor held up (its account page and apps work).
        Assert.That(PathOf(await pc.GetAsync("/account")), Is.EqualTo("(no redirect: OK)"));
        Assert.That(PathOf(await pc.GetAsync("/journey/recovery-codes")), Is.Not.EqualTo("(no redirect: OK)"));
        var app = TestRelyingApp.Portal(_factory);
        var silent = await pc.GetAsync(app.AuthorizeUrl(Pkce.Create(), new Dictionary<string, string?> { ["prompt"] = "none" }));
        Assert.That(AuthorizationResponse.From(silent, KosmoFactory.PortalRedirect).Code, Is.Not.Null, "its apps are not held at 本人確認");
        Assert.That(await IssuedSetsAsync("A0034"), Is.EqualTo(issued), "no set was made for the PC");
    }

    [Test]
    public async Task NewRecoveryCodesAskedForOnOneDevice_LeaveAnotherRecentSessionAlone_SoTheSetBeingCopiedDownStaysAlive()
    {
        var pc = await SignedInAsync("A0086");
        var phone = await SignedInAsync("A0086", create: false);
        var toCodes = await HtmlForm.SubmitAsync(phone, await phone.GetAsync("/account"), new Dictionary<string, string>(), "form[action*=NewRecoveryCodes]");
        var codesPage = await FollowAsync(phone, toCodes);
        var codes = await RecoveryCodesOnAsync(codesPage);
        var issued = await IssuedSetsAsync("A0086");

        // The PC signed in just as recently: its pages go on, and it issues no set of its own that would kill the phone's.
        Assert.That(PathOf(await pc.GetAsync("/account")), Is.EqualTo("(no redirect: OK)"));
        Assert.That(PathOf(await pc.GetAsync("/journey/recovery-codes")), Is.Not.EqualTo("(no redirect: OK)"));
        Assert.That(await IssuedSetsAsync("A0086"), Is.EqualTo(issued), "no set was made for the PC");

        var kept = await HtmlForm.SubmitAsync(phone, codesPage, new Dictionary<string, string>());
        Assert.That(kept.Headers.Location?.OriginalString, Is.EqualTo("/account"), "the phone's set is still the member's, and taken as kept");
        Assert.That(await TestMembers.WithDbAsync(_factory, db => db.RecoveryCodes.CountAsync(c => db.Members.Any(m => m.Id == c.MemberId && m.UserId == "A0086"))),
            Is.EqualTo(codes.Count));
    }

    [Test]
    public async Task NewRecoveryCodesAskedForOnADeviceThatSignedOutBeforeKeepingThem_AreShownAtTheNextSignIn()
    {
        var phone = await SignedInAsync("A0087");
        var codesPage = await FollowAsync(phone, await HtmlForm.SubmitAsync(phone, await phone.GetAsync("/account"), new Dictionary<string, string>(), "form[action*=NewRecoveryCodes]"));
        Assert.That(await RecoveryCodesOnAsync(codesPage), Has.Count.EqualTo(10));
        await HtmlForm.SubmitAsync(phone, codesPage, new Dictionary<string, string>(), "form[action='/logout']");

        _clock.Advance(TimeSpan.FromSeconds(2));
        var browser = _factory.Browser();
        var signedIn = await OtpMail.CompleteAsync(_factory, browser, await LoginAsync(browser, "A0087", Password), "a0087@example.jp");
        Assert.That(PathOf(signedIn), Is.EqualTo("/journey/recovery-codes"), "the set nobody kept is the next sign-in's to show");
    }

    [Test]
    public async Task ThePasswordChangeSentTwice_GetsTheFirstAnswer_KeepsThisBrowserSignedIn_AndChangesThePasswordOnce()
    {
        await TestMembers.AddAsync(_factory, "A0064", Password);
        var browser = _factory.BrowserWithJar(out var cookies);
        await OtpMail.CompleteAsync(_factory, browser, await LoginAsync(browser, "A0064", Password), "a0064@example.jp");
        var page = await browser.GetAsync("/account");
        var whenSent = cookies.Header();
        var form = new Dictionary<string, string> { ["CurrentPassword"] = Password, ["NewPassword"] = "Twice-Sent-Pass-1", ["Confirmation"] = "Twice-Sent-Pass-1" };

        var first = await HtmlForm.SubmitAsync(browser, page, form, "#change-password");
        // The copy arrives after the first answer, with the cookie the browser had when it was sent.
        var again = await HtmlForm.SubmitAsync(_factory.WithCookies(whenSent), page, form, "#change-password");

        // The same words, each with its own proof (the outcome's protection is randomized).
        Assert.That(again.Headers.Location?.OriginalString.Split("&proof=")[0], Is.EqualTo(first.Headers.Location?.OriginalString.Split("&proof=")[0]).And.Contain("done=password"));
        Assert.That(ErrorOn(await browser.GetStringAsync(again.Headers.Location), "account-notice"), Does.Contain("パスワードを変更しました"), "the copy's answer says it too");
        Assert.That(PathOf(await _factory.WithSessionFrom(again, whenSent).GetAsync("/account")), Is.EqualTo("(no redirect: OK)"),
            "whichever answer the browser takes last, it stays signed in");
        Assert.That(PathOf(await browser.GetAsync("/account")), Is.EqualTo("(no redirect: OK)"));
        Assert.That((await TestMembers.AuditKindsAsync(_factory, "A0064")).Count(k => k == AuditKinds.PasswordChanged), Is.EqualTo(1));
        Assert.That(PathOf(await LoginAsync(_factory.Browser(), "A0064", "Twice-Sent-Pass-1")), Is.EqualTo("/journey/otp"));
    }

    [Test]
    public async Task ThePasswordChangeSentTwiceAtOnce_IsAuditedAndLoggedOnce()
    {
        var member = await TestMembers.AddAsync(_factory, "A0068", Password);
        var browser = _factory.BrowserWithJar(out var cookies);
        await OtpMail.CompleteAsync(_factory, browser, await LoginAsync(browser, "A0068", Password), "a0068@example.jp");
        var page = await browser.GetAsync("/account");
        var whenSent = cookies.Header();
        var form = new Dictionary<string, string> { ["CurrentPassword"] = Password, ["NewPassword"] = "Twice-At-Once-1", ["Confirmation"] = "Twice-At-Once-1" };

        await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => HtmlForm.SubmitAsync(_factory.WithCookies(whenSent), page, form, "#change-password")));

        Assert.That((await TestMembers.AuditKindsAsync(_factory, "A0068")).Count(k => k == AuditKinds.PasswordChanged), Is.EqualTo(1));
        Assert.That(_factory.Logs.Events.Count(e => e.StartsWith($"Audit \"{AuditKinds.PasswordChanged}\" for member {member.Id}", StringComparison.Ordinal)), Is.EqualTo(1),
            "the log, which restores audit events a restored backup lost, has the one change stored, not the copy dropped unsaved");
        var stored = await TestMembers.WithDbAsync(_factory, db => db.AuditEvents.SingleAsync(a => a.MemberId == member.Id && a.Kind == AuditKinds.PasswordChanged));
        Assert.That(_factory.Logs.Events.Single(e => e.StartsWith($"Audit \"{AuditKinds.PasswordChanged}\"", StringComparison.Ordinal) && e.Contains(member.Id.ToString(), StringComparison.Ordinal)),
            Does.Contain($" at {stored.OccurredAt.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss}"), "with the event's own time, whenever the line is written");
    }

    [Test]
    public async Task SigningOutTheOtherDevices_SentTwiceAtOnce_EndsThemOnce_AndNeitherAnswerSignsThisBrowserOut()
    {
        await TestMembers.AddAsync(_factory, "A0065", Password);
        var browser = _factory.BrowserWithJar(out var cookies);
        await OtpMail.CompleteAsync(_factory, browser, await LoginAsync(browser, "A0065", Password), "a0065@example.jp");
        var other = await SignedInAsync("A0065", create: false);
        var page = await browser.GetAsync("/account");
        var whenSent = cookies.Header();

        var answers = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ =>
            HtmlForm.SubmitAsync(_factory.WithCookies(whenSent), page, new Dictionary<string, string>(), "form[action*=SignOutOthers]")));

        Assert.That(answers.Select(a => a.Headers.Location?.OriginalString), Has.All.Contain("done=signed-out"), "a double click gets the first click's answer");
        foreach (var answer in answers)
        {
            Assert.That(PathOf(await _factory.WithSessionFrom(answer, whenSent).GetAsync("/account")), Is.EqualTo("(no redirect: OK)"), "either cookie keeps this browser signed in");
        }

        Assert.That(PathOf(await other.GetAsync("/account")), Is.EqualTo("/login"), "the other device is signed out");
        Assert.That((await TestMembers.AuditKindsAsync(_factory, "A0065")).Count(k => k == AuditKinds.SignedOutEverywhere), Is.EqualTo(1));
    }

    [Test]
    public async Task TheAccountPage_ShowsTheLatestOtherSignIn_InJapanTime_WrittenAsEachLanguageWritesDates()
    {
        var first = await SignedInAsync("A0038");
        Assert.That(ErrorOn(await first.GetStringAsync("/account"), "previous-sign-in"), Does.Contain("初めて"));
        var firstAt = _clock.GetUtcNow();

        _clock.Advance(TimeSpan.FromHours(5));
        var second = await SignedInAsync("A0038", create: false);
        var shown = ErrorOn(await second.GetStringAsync("/account"), "previous-sign-in");
        Assert.That(shown, Does.Contain(firstAt.ToOffset(TimeSpan.FromHours(9)).ToString("yyyy年M月d日 H:mm", System.Globalization.CultureInfo.InvariantCulture))
            .And.Contain("日本時間"));

        await HtmlForm.SubmitAsync(second, await second.GetAsync("/account"), new Dictionary<string, string> { ["culture"] = "en" }, "form.language-switch");
        var english = ErrorOn(await second.GetStringAsync("/account"), "previous-sign-in");
        Assert.That(english, Does.Contain(firstAt.ToOffset(TimeSpan.FromHours(9)).ToString("d MMM yyyy, HH:mm", System.Globalization.CultureInfo.GetCultureInfo("en")))
            .And.Contain("Japan time"));

        _clock.Advance(TimeSpan.FromMinutes(10));
        await SignedInAsync("A0038", create: false);
        var thirdAt = _clock.GetUtcNow().ToOffset(TimeSpan.FromHours(9));
        Assert.That(ErrorOn(await second.GetStringAsync("/account"), "previous-sign-in"),
            Does.Contain(thirdAt.ToString("d MMM yyyy, HH:mm", System.Globalization.CultureInfo.GetCultureInfo("en"))),
            "a device still signed in sees the sign-in made elsewhere since, not its own");

        // 本人確認 on this device is no sign-in of another: the other device's stays shown.
        _clock.Advance(TimeSpan.FromMinutes(16));
        var toConfirm = await HtmlForm.SubmitAsync(second, await second.GetAsync("/account"), new Dictionary<string, string>(), "form[action*=NewRecoveryCodes]");
        var toCode = await HtmlForm.SubmitAsync(second, await FollowAsync(second, toConfirm), new Dictionary<string, string> { ["Password"] = Password }, "#confirm-form");
        await OtpMail.CompleteAsync(_factory, second, toCode, "a0038@example.jp");
        Assert.That(ErrorOn(await second.GetStringAsync("/account"), "previous-sign-in"),
            Does.Contain(thirdAt.ToString("d MMM yyyy, HH:mm", System.Globalization.CultureInfo.GetCultureInfo("en"))));
    }

    [Test]
    public async Task NewRecoveryCodesCopiedWhileTheWindowCloses_AreStillTheOnesThatCount()
    {
        var browser = await SignedInAsync("A0037");
        _clock.Advance(TimeSpan.FromMinutes(14));
        var codesPage = await FollowAsync(browser, await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string>(), "form[action*=NewRecoveryCodes]"));
        var codes = await RecoveryCodesOnAsync(codesPage);
        Assert.That(codes, Has.Count.EqualTo(10));
        Assert.That(ErrorOn(await codesPage.Content.ReadAsStringAsync(), "recovery-replaced"), Is.Null, "the member had none");

        _clock.Advance(TimeSpan.FromMinutes(2));
        var saved = await HtmlForm.SubmitAsync(browser, codesPage, new Dictionary<string, string>());
        Assert.That(saved.Headers.Location?.OriginalString, Is.EqualTo("/account"), "not sent to 本人確認 for a new set");
        Assert.That(await IssuedSetsAsync("A0037"), Is.EqualTo(1), "only the set that was copied");
        var member = await TestMembers.WithDbAsync(_factory, db => db.Members.AsNoTracking().SingleAsync(m => m.UserId == "A0037"));
        Assert.That(member.RecoveryCodesSavedAt, Is.Not.Null, "saved: the next fresh sign-in does not replace them");
    }

    [Test]
    public async Task RecoveryCodesKeptOnAnotherDevice_AreNotReplaced_WhenAnOlderPageIsConfirmedAfterwards()
    {
        var pc = await SignedInAsync("A0049");
        var phone = await SignedInAsync("A0049", create: false);
        var onPc = await FollowAsync(pc, await HtmlForm.SubmitAsync(pc, await pc.GetAsync("/account"), new Dictionary<string, string>(), "form[action*=NewRecoveryCodes]"));
        var onPhone = await FollowAsync(phone, await HtmlForm.SubmitAsync(phone, await phone.GetAsync("/account"), new Dictionary<string, string>(), "form[action*=NewRecoveryCodes]"));
        var kept = await RecoveryCodesOnAsync(onPhone);
        Assert.That(PathOf(await HtmlForm.SubmitAsync(phone, onPhone, new Dictionary<string, string>())), Is.EqualTo("/account"), "kept on the phone");

        var late = await HtmlForm.SubmitAsync(pc, onPc, new Dictionary<string, string>());
        Assert.That(late.StatusCode, Is.EqualTo(HttpStatusCode.OK), "told, not sent on as if its codes were kept");
        var html = await late.Content.ReadAsStringAsync();
        Assert.That(ErrorOn(html, "recovery-kept-elsewhere"), Does.Contain("別の端末"));
        Assert.That(await RecoveryCodesOnAsync(late), Is.Empty, "no codes to copy here");
        Assert.That(PathOf(await HtmlForm.SubmitAsync(pc, late, new Dictionary<string, string>())), Is.EqualTo("/account"));

        var unused = await TestMembers.WithDbAsync(_factory, async db =>
        {
            var id = await db.Members.Where(m => m.UserId == "A0049").Select(m => m.Id).SingleAsync();
            return await db.RecoveryCodes.CountAsync(c => c.MemberId == id && c.UsedAt == null);
        });
        Assert.That(unused, Is.EqualTo(10), "the phone's set stands: no new set was issued");
        Assert.That(kept, Has.Count.EqualTo(10));
    }

    [Test]
    public async Task RecoveryCodesNotYetKept_AreShownAgainAfterTheWindow_OnlyToWhoeverConfirmsBeingTheMember()
    {
        var browser = await SignedInAsync("A0048");
        var codesPage = await FollowAsync(browser, await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string>(), "form[action*=NewRecoveryCodes]"));
        var codes = await RecoveryCodesOnAsync(codesPage);

        _clock.Advance(TimeSpan.FromMinutes(16));
        var later = await browser.GetAsync("/journey/recovery-codes?returnUrl=%2Faccount");
        Assert.That(PathOf(later), Is.EqualTo("/journey/confirm"), "a PC left signed in does not show live codes");
        var toCode = await HtmlForm.SubmitAsync(browser, await FollowAsync(browser, later), new Dictionary<string, string> { ["Password"] = Password }, "#confirm-form");
        var back = await OtpMail.CompleteAsync(_factory, browser, toCode, "a0048@example.jp");
        Assert.That(back.Headers.Location?.OriginalString, Is.EqualTo("/journey/recovery-codes?returnUrl=%2Faccount"));
        Assert.That(await RecoveryCodesOnAsync(await FollowAsync(browser, back)), Is.EqualTo(codes), "the same set, still the one to copy");
    }

    [Test]
    public async Task ANewSetOfRecoveryCodes_SaysThatTheCodesShownBeforeNoLongerWork()
    {
        var browser = await SignedInAsync("A0044");
        async Task<HttpResponseMessage> AskAsync() => await FollowAsync(browser,
            await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string>(), "form[action*=NewRecoveryCodes]"));

        var first = await AskAsync();
        Assert.That(ErrorOn(await first.Content.ReadAsStringAsync(), "recovery-replaced"), Is.Null, "the member had none");
        await HtmlForm.SubmitAsync(browser, first, new Dictionary<string, string>());

        var second = await AskAsync();
        Assert.That(await RecoveryCodesOnAsync(second), Has.Count.EqualTo(10));
        Assert.That(ErrorOn(await second.Content.ReadAsStringAsync(), "recovery-replaced"), Does.Contain("以前に表示されたリカバリーコードは、今後は使えません"));
    }

    [Test]
    public async Task RecoveryCodesReplacedOnAnotherDevice_AreNotTakenAsKept_AndTheNewestSetIsShownInstead()
    {
        var pc = await SignedInAsync("A0045");
        var phone = await SignedInAsync("A0045", create: false);
        var onPc = await FollowAsync(pc, await HtmlForm.SubmitAsync(pc, await pc.GetAsync("/account"), new Dictionary<string, string>(), "form[action*=NewRecoveryCodes]"));
        var pcCodes = await RecoveryCodesOnAsync(onPc);

        // The phone asks for a set of its own while the PC's is not yet kept.
        var onPhone = await FollowAsync(phone, await HtmlForm.SubmitAsync(phone, await phone.GetAsync("/account"), new Dictionary<string, string>(), "form[action*=NewRecoveryCodes]"));
        var phoneCodes = await RecoveryCodesOnAsync(onPhone);
        Assert.That(phoneCodes, Has.Count.EqualTo(10).And.No.AnyOf(pcCodes.ToArray()));

        // 保管しました on the PC, whose codes died with that: told so, and neither given a set that would kill the phone's nor taken as keeping it.
        var late = await HtmlForm.SubmitAsync(pc, onPc, new Dictionary<string, string>());
        Assert.That(late.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var html = await late.Content.ReadAsStringAsync();
        Assert.That(ErrorOn(html, "recovery-replaced-elsewhere"), Does.Contain("別の端末"));
        Assert.That(await RecoveryCodesOnAsync(late), Is.Empty, "no codes to copy here");
        Assert.That((await HtmlForm.ParseAsync(late)).QuerySelector("#recovery-continue")?.GetAttribute("href"), Is.EqualTo("/account"));
        var member = await TestMembers.WithDbAsync(_factory, db => db.Members.AsNoTracking().SingleAsync(m => m.UserId == "A0045"));
        Assert.That(member.RecoveryCodesSavedAt, Is.Null, "the phone's set is the phone's to keep");

        Assert.That(PathOf(await HtmlForm.SubmitAsync(phone, onPhone, new Dictionary<string, string>())), Is.EqualTo("/account"));
        member = await TestMembers.WithDbAsync(_factory, db => db.Members.AsNoTracking().SingleAsync(m => m.UserId == "A0045"));
        Assert.That(member.RecoveryCodesSavedAt, Is.Not.Null);
        Assert.That(await IssuedSetsAsync("A0045"), Is.EqualTo(2), "the PC's set and the phone's, no third");
    }

    [Test]
    public async Task TheRecoveryCodesPageOpenedByAnotherSite_IssuesNoSet_UntilTheMemberPressesShow()
    {
        var browser = await SignedInAsync("A0060");
        var toCodes = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string>(), "form[action*=NewRecoveryCodes]");

        // Another site opens the page in a window the member may never read: issuing would kill the set they hold.
        var opened = new HttpRequestMessage(HttpMethod.Get, toCodes.Headers.Location) { Headers = { { "Sec-Fetch-Site", "cross-site" } } };
        var page = await browser.SendAsync(opened);
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await RecoveryCodesOnAsync(page), Is.Empty);
        Assert.That(await CodesStoredForAsync("A0060"), Is.Zero, "nothing issued by the visit");

        var shown = await HtmlForm.SubmitAsync(browser, page, new Dictionary<string, string>(), "form[action*=Show]");
        Assert.That(await RecoveryCodesOnAsync(shown), Has.Count.EqualTo(10));
        Assert.That(await CodesStoredForAsync("A0060"), Is.EqualTo(10));

        // Posted from the page that answered ?handler=Show: 保管しました must keep the set, not show it once more.
        var kept = await HtmlForm.SubmitAsync(browser, shown, new Dictionary<string, string>(), "#recovery-saved-form");
        Assert.That(kept.Headers.Location?.OriginalString, Is.EqualTo("/account"));
        var member = await TestMembers.WithDbAsync(_factory, db => db.Members.AsNoTracking().SingleAsync(m => m.UserId == "A0060"));
        Assert.That(member.RecoveryCodesSavedAt, Is.Not.Null);
    }

    [Test]
    public async Task KeptPressedOnAPageFromBeforeFormsCarriedTheirSet_StillKeepsTheSetThisBrowserWasShown()
    {
        var browser = await SignedInAsync("A0063");
        var page = await FollowAsync(browser, await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string>(), "form[action*=NewRecoveryCodes]"));

        // Rendered by a replica not yet upgraded: no set in the form, only this browser's cookie.
        var kept = await HtmlForm.SubmitAsync(browser, page, new Dictionary<string, string> { ["SetStamp"] = "" }, "#recovery-saved-form");
        Assert.That(kept.Headers.Location?.OriginalString, Is.EqualTo("/account"), "a rolling upgrade does not throw away the codes just copied down");
        var member = await TestMembers.WithDbAsync(_factory, db => db.Members.AsNoTracking().SingleAsync(m => m.UserId == "A0063"));
        Assert.That(member.RecoveryCodesSavedAt, Is.Not.Null);
    }

    [Test]
    public async Task KeptPressedOnAnOldPage_DoesNotKeepASetThatPageNeverShowed()
    {
        var pc = await SignedInAsync("A0061");
        var phone = await SignedInAsync("A0061", create: false);
        var onPc = await FollowAsync(pc, await HtmlForm.SubmitAsync(pc, await pc.GetAsync("/account"), new Dictionary<string, string>(), "form[action*=NewRecoveryCodes]"));
        Assert.That(PathOf(await HtmlForm.SubmitAsync(pc, onPc, new Dictionary<string, string>())), Is.EqualTo("/account"));

        // A new set on the phone, not yet copied down; then the PC's old page, from the back button, pressed again.
        await FollowAsync(phone, await HtmlForm.SubmitAsync(phone, await phone.GetAsync("/account"), new Dictionary<string, string>(), "form[action*=NewRecoveryCodes]"));
        var stale = await HtmlForm.SubmitAsync(pc, onPc, new Dictionary<string, string>());

        Assert.That(ErrorOn(await stale.Content.ReadAsStringAsync(), "recovery-replaced-elsewhere"), Does.Contain("別の端末"),
            "told the set was replaced on another device, which is the one to copy down");
        var member = await TestMembers.WithDbAsync(_factory, db => db.Members.AsNoTracking().SingleAsync(m => m.UserId == "A0061"));
        Assert.That(member.RecoveryCodesSavedAt, Is.Null, "the set on the phone was never on this page: it is not kept");
    }

    private Task<int> CodesStoredForAsync(string userId) => TestMembers.WithDbAsync(_factory, async db =>
    {
        var id = await db.Members.Where(m => m.UserId == userId).Select(m => m.Id).SingleAsync();
        return await db.RecoveryCodes.CountAsync(c => c.MemberId == id);
    });

    [Test]
    public async Task AnAppCodeAskedForByARelyingApp_DoesNotCountAsANewSignIn()
    {
        var first = await SignedInAsync("A0035");
        var key = await AddDeviceAsync(first, "スマホ");
        var app = TestRelyingApp.Portal(_factory);
        var toCode = await LoginAsync(app.Browser, "A0035", Password);
        var byMail = await HtmlForm.SubmitAsync(app.Browser, await app.Browser.GetAsync("/journey/otp?mode=email"),
            new Dictionary<string, string> { ["Code"] = OtpMail.LatestCode(_factory, "a0035@example.jp") }, "#otp-form");
        Assert.That(PathOf(byMail), Is.EqualTo("/"), PathOf(toCode));
        var signedInAt = _clock.GetUtcNow();
        _clock.Advance(TimeSpan.FromMinutes(16));

        var demand = new Dictionary<string, string?> { ["acr_values"] = "urn:kosmo:acr:mfa:app" };
        var pkce = Pkce.Create();
        var toApp = await app.Browser.GetAsync(app.AuthorizeUrl(pkce, demand));
        Assert.That(PathOf(toApp), Is.EqualTo("/journey/otp"), "the mailed code was not enough for this app");
        var back = await HtmlForm.SubmitAsync(app.Browser, await FollowAsync(app.Browser, toApp), new Dictionary<string, string> { ["Code"] = CodeNow(key) }, "#otp-form");
        var callback = AuthorizationResponse.From(await app.Browser.GetAsync(back.Headers.Location), KosmoFactory.PortalRedirect);
        var tokens = await app.RedeemAsync(callback.Code!, pkce.Verifier);
        var authTime = new System.IdentityModel.Tokens.Jwt.JwtSecurityTokenHandler().ReadJwtToken(tokens.IdToken).Claims.Single(c => c.Type == "auth_time").Value;
        Assert.That(authTime, Is.EqualTo(signedInAt.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)), "auth_time stays the sign-in's");

        var remove = await HtmlForm.SubmitAsync(app.Browser, await app.Browser.GetAsync("/account"), new Dictionary<string, string>(), "#devices li:first-child form[action*=RemoveDevice]");
        Assert.That(PathOf(remove), Is.EqualTo("/journey/confirm"), "a code alone, without the password, does not open the account's changes");
    }

    [Test]
    public async Task SigningOut_EndsTheRefreshTokensOfAppsSignedInThroughThatBrowser_ButNotAnotherDevices()
    {
        await TestMembers.AddAsync(_factory, "A0036", Password);
        var (byApp, byAppTokens) = await PortalSignedInAsync("A0036");
        _clock.Advance(TimeSpan.FromSeconds(31));
        var (byPage, byPageTokens) = await PortalSignedInAsync("A0036");
        _clock.Advance(TimeSpan.FromSeconds(31));
        var (elsewhere, elsewhereTokens) = await PortalSignedInAsync("A0036");

        var ended = await byApp.Browser.GetAsync(TestRelyingApp.PortalEndSessionUrl(byAppTokens.IdToken!));
        Assert.That(ended.Headers.Location!.OriginalString, Does.StartWith(KosmoFactory.PortalPostLogout));
        var loggedOut = await HtmlForm.SubmitAsync(byPage.Browser, await byPage.Browser.GetAsync("/account"), new Dictionary<string, string>(), "form[action='/logout']");
        Assert.That(loggedOut.Headers.Location!.OriginalString, Is.EqualTo("/signed-out"));

        Assert.That((await byApp.RefreshAsync(byAppTokens.RefreshToken!)).Error, Is.EqualTo("invalid_grant"), "signed out through the app");
        Assert.That((await byPage.RefreshAsync(byPageTokens.RefreshToken!)).Error, Is.EqualTo("invalid_grant"), "signed out on the provider's page");
        var stillThere = await elsewhere.RefreshAsync(elsewhereTokens.RefreshToken!);
        Assert.That(stillThere.AccessToken, Is.Not.Null, "another device's session keeps its apps: " + stillThere.Error);
        Assert.That((await TestMembers.AuditKindsAsync(_factory, "A0036")).Count(k => k == AuditKinds.SignedOut), Is.EqualTo(2));
    }

    private async Task<(TestRelyingApp App, TokenResponse Tokens)> PortalSignedInAsync(string userId)
    {
        var app = TestRelyingApp.Portal(_factory);
        var tokens = await app.SignedInTokensAsync(userId, Password);
        Assert.That(tokens.RefreshToken, Is.Not.Null, tokens.Body.ToString());
        return (app, tokens);
    }

    [Test]
    public async Task SigningOut_MakesACopyOfTheSessionCookieWorthless_OnTheServer()
    {
        var browser = await SignedInAsync("A0039");
        var renewed = await browser.GetAsync("/account");
        var cookie = renewed.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("kosmo_session=", StringComparison.Ordinal)).Split(';')[0];
        var copy = _factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        copy.DefaultRequestHeaders.Add("Cookie", cookie);
        Assert.That(PathOf(await copy.GetAsync("/account")), Is.EqualTo("(no redirect: OK)"), "the copy works while the session lasts");

        var loggedOut = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string>(), "form[action='/logout']");
        Assert.That(loggedOut.Headers.Location!.OriginalString, Is.EqualTo("/signed-out"));

        Assert.That(PathOf(await copy.GetAsync("/account")), Is.EqualTo("/login"), "the session ended on the server, not only in the browser");
        var app = TestRelyingApp.Portal(_factory);
        var silent = await copy.GetAsync(app.AuthorizeUrl(Pkce.Create(), new Dictionary<string, string?> { ["prompt"] = "none" }));
        Assert.That(AuthorizationResponse.From(silent, KosmoFactory.PortalRedirect).Parameters.GetValueOrDefault("error"), Is.EqualTo("login_required"));
    }

    [Test]
    public async Task TheSignedOutPage_ReachedAgainAfterSigningBackIn_SendsTheMemberToTheStartPage_NotSayingTheyAreSignedOut()
    {
        var browser = await SignedInAsync("A0054");
        var loggedOut = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string>(), "form[action='/logout']");
        var said = await browser.GetAsync(loggedOut.Headers.Location!.OriginalString);
        Assert.That(said.StatusCode, Is.EqualTo(HttpStatusCode.OK), "said once, right after signing out");

        browser = await SignedInAsync("A0054", create: false);
        var fromHistory = await browser.GetAsync("/signed-out");
        Assert.That(PathOf(fromHistory), Is.EqualTo("/"));
    }

    private async Task<HttpClient> SignedInAsync(string userId, bool create = true)
    {
        if (create)
        {
            await TestMembers.AddAsync(_factory, userId, Password);
        }

        var browser = _factory.Browser();
        var done = await OtpMail.CompleteAsync(_factory, browser, await LoginAsync(browser, userId, Password), userId.ToLowerInvariant() + "@example.jp");
        Assert.That(PathOf(done), Is.EqualTo("/"));
        return browser;
    }

    private async Task<HttpClient> PasswordOnlyAsync(string userId)
    {
        var browser = _factory.Browser();
        await LoginAsync(browser, userId, Password);
        return browser;
    }

    private Task<string> AddDeviceAsync(HttpClient browser, string name) => AuthenticatorApp.AddOnAccountPageAsync(browser, name, _clock);

    private static async Task<HttpResponseMessage> RenameFirstDeviceAsync(HttpClient browser, string name) =>
        await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string> { ["DeviceName"] = name },
            "#devices li:first-child form[action*=RenameDevice]");

    private static List<string> DeviceNamesOn(string html) =>
        new AngleSharp.Html.Parser.HtmlParser().ParseDocument(html).QuerySelectorAll("#devices li strong").Select(s => s.TextContent).ToList();

    private static async Task<HttpResponseMessage> SubmitAppCodeAsync(HttpClient browser, string code) =>
        await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/journey/otp?mode=app"), new Dictionary<string, string> { ["Code"] = code }, "#otp-form");

    private static async Task<string> ChangePasswordAsync(HttpClient browser, string current, string next)
    {
        var response = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string>
        {
            ["CurrentPassword"] = current, ["NewPassword"] = next, ["Confirmation"] = next,
        }, "#change-password");
        return await response.Content.ReadAsStringAsync();
    }

    private string CodeNow(string secret) => AuthenticatorApp.CodeAt(secret, _clock.GetUtcNow());

    private Task<int> IssuedSetsAsync(string userId) => TestMembers.WithDbAsync(_factory, db =>
        db.AuditEvents.CountAsync(a => a.Kind == AuditKinds.RecoveryCodesIssued && db.Members.Any(m => m.Id == a.MemberId && m.UserId == userId)));

    private Task<string?> EmailOfAsync(string userId) =>
        TestMembers.WithDbAsync(_factory, db => db.Members.Where(m => m.UserId == userId).Select(m => m.Email).SingleAsync());
}
