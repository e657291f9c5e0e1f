using System.Net;
using Kosmo.Idp.Members;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Kosmo.Idp.Tests.Journey.JourneySteps;

namespace Kosmo.Idp.Tests.Journey;

/// <summary>Each way a step of the first-login journey says no, and what the member is told.</summary>
public sealed class JourneyRefusalTests
{
    private KosmoFactory _factory = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _factory = await KosmoFactory.StartAsync(new Dictionary<string, string?>
    {
        ["Journey:BirthDateAttempts"] = "3",
        ["Society:Contact"] = "健康保険組合 適用グループ 03-1234-5678（平日 9:00〜17:00）",
    });

    [OneTimeTearDown]
    public async Task StopAsync() => await _factory.DisposeAsync();

    [Test]
    public async Task WrongBirthDates_CountDown_ThenLockTheAccount_AndTheMemberIsToldToContactTheSociety()
    {
        var member = await TestMembers.AddFromRosterAsync(_factory, "F0001", "100", "1", new DateOnly(1984, 10, 7));
        var browser = _factory.Browser();
        await LoginAsync(browser, "F0001", "100119841007");

        var first = await SubmitBirthDateAsync(browser, "19841008");
        Assert.That(ErrorOn(first, "birthdate-error"), Does.Contain("一致しません").And.Contain("あと2回"));
        var notADate = await SubmitBirthDateAsync(browser, "1984-02-30");
        Assert.That(notADate, Does.Contain("西暦8桁"), "an impossible date is a format error, not a try");
        var future = await SubmitBirthDateAsync(browser, DateTime.UtcNow.AddYears(1).ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture));
        Assert.That(ErrorOn(future, "birthdate-error"), Does.Contain("今日より後").And.Not.Contain("あと"), "a date after today is a slip, not a try");
        var second = await SubmitBirthDateAsync(browser, "19841009");
        Assert.That(ErrorOn(second, "birthdate-error"), Does.Contain("あと1回"));
        var third = await SubmitBirthDateAsync(browser, "19841010");
        Assert.That(ErrorOn(third, "birthdate-locked"), Does.Contain("アカウントをロックしました").And.Contain("健康保険組合にお問い合わせください"));

        Assert.That(PathOf(await browser.GetAsync("/journey/birthdate")), Is.EqualTo("/login"), "the session ended");
        var again = await LoginAsync(_factory.Browser(), "F0001", "100119841007");
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(ErrorOn(await again.Content.ReadAsStringAsync(), "login-error"), Does.Contain("ロックされています"));

        var kinds = await TestMembers.WithDbAsync(_factory, db => db.AuditEvents.Where(a => a.MemberId == member.Id).Select(a => a.Kind).ToListAsync());
        Assert.That(kinds.Count(k => k == AuditKinds.BirthDateFailed), Is.EqualTo(3));
        Assert.That(kinds, Does.Contain(AuditKinds.AccountLocked).And.Contain(AuditKinds.SignInRefusedLocked));
    }

    [Test]
    public async Task TheSameWrongBirthDateSentAgain_AsAReloadDoes_IsNotCountedAgain()
    {
        var member = await TestMembers.AddFromRosterAsync(_factory, "F0017", "100", "17", new DateOnly(1984, 10, 7));
        var browser = _factory.Browser();
        await LoginAsync(browser, "F0017", "1001719841007");

        var page = await browser.GetAsync("/journey/birthdate");
        Assert.That(ErrorOn(await (await HtmlForm.SubmitAsync(browser, page, new Dictionary<string, string> { ["BirthDate"] = "19841008" })).Content.ReadAsStringAsync(), "birthdate-error"),
            Does.Contain("あと2回"));
        // The browser's "resend the form?" after a reload: the same form, the same date.
        for (var reload = 0; reload < 3; reload++)
        {
            var again = await HtmlForm.SubmitAsync(browser, page, new Dictionary<string, string> { ["BirthDate"] = "19841008" });
            Assert.That(ErrorOn(await again.Content.ReadAsStringAsync(), "birthdate-error"), Does.Contain("あと2回"), "the same typo is one try");
        }

        var another = await SubmitBirthDateAsync(browser, "19841009");
        Assert.That(ErrorOn(another, "birthdate-error"), Does.Contain("あと1回"), "a different date is a new try");
        Assert.That(await TestMembers.WithDbAsync(_factory, db => db.AuditEvents.CountAsync(a => a.MemberId == member.Id && a.Kind == AuditKinds.BirthDateFailed)), Is.EqualTo(2));
        Assert.That(PathOf(await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/journey/birthdate"), new Dictionary<string, string> { ["BirthDate"] = "19841007" })),
            Is.Not.EqualTo("/journey/birthdate"), "the right date still goes on");
    }

    [Test]
    public async Task TheSameWrongBirthDateTappedTwice_CountsOnce_ButFromAnotherSignInItCountsAgain()
    {
        var member = await TestMembers.AddFromRosterAsync(_factory, "F0038", "100", "38", new DateOnly(1984, 10, 7));
        var browser = _factory.Browser();
        await LoginAsync(browser, "F0038", "1003819841007");
        var page = await browser.GetAsync("/journey/birthdate");

        // The second tap leaves before the first answer comes back: neither carries what the other was told.
        var answers = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ =>
            HtmlForm.SubmitAsync(browser, page, new Dictionary<string, string> { ["BirthDate"] = "19841008" })));

        foreach (var answer in answers)
        {
            Assert.That(ErrorOn(await answer.Content.ReadAsStringAsync(), "birthdate-error"), Does.Contain("あと2回"), "one typo, one try");
        }

        Assert.That(await TestMembers.WithDbAsync(_factory, db => db.Members.Where(m => m.Id == member.Id).Select(m => m.BirthDateFailures).SingleAsync()), Is.EqualTo(1));
        var elsewhere = _factory.Browser();
        await LoginAsync(elsewhere, "F0038", "1003819841007");
        Assert.That(ErrorOn(await SubmitBirthDateAsync(elsewhere, "19841008"), "birthdate-error"), Does.Contain("あと1回"), "a guesser's sign-in sending the same date is a try of its own");
    }

    [Test]
    public async Task BirthDatesSentInParallel_AreCountedOneByOne_SoNoMoreThanTheLimitAreEverCompared()
    {
        var member = await TestMembers.AddFromRosterAsync(_factory, "F0090", "100", "9", new DateOnly(1984, 10, 7));
        var browser = _factory.Browser();
        await LoginAsync(browser, "F0090", "100919841007");
        // Twelve wrong dates and, among them, the right one, all sent at once.
        var dates = Enumerable.Range(1, 12).Select(day => $"199001{day:00}").Append("19841007").ToList();
        var pages = new List<HttpResponseMessage>();
        foreach (var _ in dates)
        {
            pages.Add(await browser.GetAsync("/journey/birthdate"));
        }

        var answers = await Task.WhenAll(dates.Zip(pages, (date, page) => HtmlForm.SubmitAsync(browser, page, new Dictionary<string, string> { ["BirthDate"] = date })));
        Assert.That(answers.Select(a => a.StatusCode), Is.All.AnyOf(HttpStatusCode.OK, HttpStatusCode.Redirect), "each try answered, none failed waiting for the others");

        var kinds = await TestMembers.WithDbAsync(_factory, db => db.AuditEvents.Where(a => a.MemberId == member.Id).Select(a => a.Kind).ToListAsync());
        var stored = await TestMembers.WithDbAsync(_factory, db => db.Members.AsNoTracking().SingleAsync(m => m.Id == member.Id));
        Assert.That(kinds.Count(k => k == AuditKinds.BirthDateFailed), Is.LessThanOrEqualTo(3), "never more tries than Journey:BirthDateAttempts");
        Assert.That(kinds.Count(k => k == AuditKinds.AccountLocked), Is.LessThanOrEqualTo(1));
        Assert.That(stored.LockedAt is null ^ stored.BirthDateConfirmedAt is null, Is.True,
            "either the right date came before the third wrong one, or the account locked first: never both");
    }

    [Test]
    public async Task AnExpiredLink_IsRefused_AndTheWaitingPageOffersAResend_WhichWorks()
    {
        var browser = await MemberAtEmailStepAsync("F0002", "f0002@example.jp");
        var link = LinkIn(_factory.Mail.To("f0002@example.jp").Last());
        await MoveClockOfLinksAsync("F0002", expired: true, sentLongAgo: true);

        var phone = _factory.Browser();
        var expired = await (await phone.GetAsync(link)).Content.ReadAsStringAsync();
        Assert.That(ErrorOn(expired, "verify-refused"), Does.Contain("有効期限が切れています"));
        var waiting = await (await browser.GetAsync("/journey/email")).Content.ReadAsStringAsync();
        Assert.That(waiting, Does.Contain("id=\"email-expired\""));

        var resent = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/journey/email"), new Dictionary<string, string>(), "form[action*=Resend]");
        Assert.That(resent.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        var newLink = LinkIn(_factory.Mail.To("f0002@example.jp").Last());
        Assert.That(newLink, Is.Not.EqualTo(link));
        await ConfirmAsync(phone, newLink);
        Assert.That(PathOf(await browser.GetAsync("/journey/email")), Is.EqualTo("/journey/method"));
    }

    [Test]
    public async Task AUsedLink_ConfirmsNothingTheSecondTime_SaysTheAddressIsConfirmed_AndIsRefusedOnceTheAddressChanged()
    {
        var browser = await MemberAtEmailStepAsync("F0003", "f0003@example.jp");
        var link = LinkIn(_factory.Mail.To("f0003@example.jp").Single());
        var phone = _factory.Browser();
        var linkPage = await phone.GetAsync(link);
        await ConfirmAsync(phone, link);

        // Reloaded, sent again, or opened from the mail again: done already, no resend to look for.
        var reused = await (await HtmlForm.SubmitAsync(phone, linkPage, new Dictionary<string, string>())).Content.ReadAsStringAsync();
        Assert.That(ErrorOn(reused, "verify-done"), Does.Contain("確認が完了しました"));
        Assert.That(ErrorOn(reused, "verify-refused"), Is.Null);
        var opened = await (await _factory.Browser().GetAsync(link)).Content.ReadAsStringAsync();
        Assert.That(ErrorOn(opened, "verify-done"), Does.Contain("確認が完了しました"));
        Assert.That(ErrorOn(opened, "verify-go-back"), Does.Contain("「更新」"), "the first login's email page has the 更新 button");
        Assert.That(ErrorOn(opened, "verify-until-own-password"), Does.Contain("ログインし直すとメールアドレスの確認もやり直し"),
            "still on the initial password: the page says what a new sign-in will ask, so it does not contradict this one");
        Assert.That(ErrorOn(opened, "verify-confirm"), Is.Null, "nothing left to press");
        Assert.That(ErrorOn(opened, "verify-sign-in"), Is.Null, "no sign-in offered here: with the initial password it would ask for the address again");
        Assert.That((await TestMembers.AuditKindsAsync(_factory, "F0003")).Count(k => k == AuditKinds.EmailVerified), Is.EqualTo(1));
        Assert.That(PathOf(await browser.GetAsync("/journey/email")), Is.EqualTo("/journey/method"));

        // Once the member's address is another one, the old link is only a used link.
        await TestMembers.WithDbAsync(_factory, db => db.Members.Where(m => m.UserId == "F0003")
            .ExecuteUpdateAsync(set => set.SetProperty(m => m.Email, "later-f0003@example.jp")));
        var stale = await (await _factory.Browser().GetAsync(link)).Content.ReadAsStringAsync();
        Assert.That(ErrorOn(stale, "verify-refused"), Does.Contain("すでに使用されています"));
    }

    [Test]
    public async Task AnotherAddressSentFromAnOldEmailPage_AfterOneWasConfirmed_IsNotSaved_AndThePageSaysWhichCounts()
    {
        var browser = await MemberAtEmailStepAsync("F0040", "first-f0040@example.jp");
        var leftBehind = await browser.GetAsync("/journey/email?change=true");
        await ConfirmAsync(_factory.Browser(), LinkIn(_factory.Mail.To("first-f0040@example.jp").Single()));

        // The browser's Back to the address form, another address typed, sent.
        var answer = await HtmlForm.SubmitAsync(browser, leftBehind, new Dictionary<string, string> { ["Email"] = "second-f0040@example.jp" });

        Assert.That(answer.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var html = await answer.Content.ReadAsStringAsync();
        Assert.That(ErrorOn(html, "email-already-confirmed"), Does.Contain("fi***@example.jp").And.Contain("登録されていません"));
        Assert.That((await HtmlForm.ParseAsync(answer)).QuerySelector("#email-continue")?.GetAttribute("href"), Is.EqualTo("/journey/method"));
        Assert.That(_factory.Mail.To("second-f0040@example.jp"), Is.Empty, "no link to an address that cannot be used");
        Assert.That(await TestMembers.WithDbAsync(_factory, db => db.Members.Where(m => m.UserId == "F0040").Select(m => m.Email).SingleAsync()),
            Is.EqualTo("first-f0040@example.jp"));
    }

    [Test]
    public async Task ChangingTheAddress_MakesTheOldLinkUseless_AndVerifiesOnlyTheNewAddress()
    {
        var browser = await MemberAtEmailStepAsync("F0004", "old-f0004@example.jp");
        var oldLink = LinkIn(_factory.Mail.To("old-f0004@example.jp").Single());
        var phone = _factory.Browser();
        var oldLinkOpenedBefore = await phone.GetAsync(oldLink);
        await MoveClockOfLinksAsync("F0004", expired: false, sentLongAgo: true);

        var changePage = await browser.GetAsync("/journey/email?change=true");
        var sent = await HtmlForm.SubmitAsync(browser, changePage, new Dictionary<string, string> { ["Email"] = "new-f0004@example.jp" });
        Assert.That(sent.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));

        var old = await (await _factory.Browser().GetAsync(oldLink)).Content.ReadAsStringAsync();
        Assert.That(ErrorOn(old, "verify-refused"), Does.Contain("置き換えられました").And.Contain("新しい確認メール"), "the member is told which mail to open");
        Assert.That(ErrorOn(old, "verify-sign-in"), Is.Null, "a sign-in with the initial password would cancel the newer link the original page waits for");
        var pressedLate = await (await HtmlForm.SubmitAsync(phone, oldLinkOpenedBefore, new Dictionary<string, string>())).Content.ReadAsStringAsync();
        Assert.That(ErrorOn(pressedLate, "verify-refused"), Does.Contain("置き換えられました"), "a page opened before the change confirms nothing");
        await ConfirmAsync(_factory.Browser(), LinkIn(_factory.Mail.To("new-f0004@example.jp").Single()));
        var stored = await TestMembers.WithDbAsync(_factory, db => db.Members.AsNoTracking().SingleAsync(m => m.UserId == "F0004"));
        Assert.That(stored.Email, Is.EqualTo("new-f0004@example.jp"));
        Assert.That(ErrorOn(await (await _factory.Browser().GetAsync(oldLink)).Content.ReadAsStringAsync(), "verify-refused"), Does.Contain("置き換えられました"),
            "the old address is still not the member's");
    }

    [Test]
    public async Task TheFirstOfTwoMails_OpenedAfterTheSecondConfirmedTheSameAddress_SaysTheAddressIsConfirmed()
    {
        var browser = await MemberAtEmailStepAsync("F0027", "f0027@example.jp");
        var firstLink = LinkIn(_factory.Mail.To("f0027@example.jp").Single());
        await MoveClockOfLinksAsync("F0027", expired: false, sentLongAgo: true);
        var resent = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/journey/email"), new Dictionary<string, string>(), "form[action*=Resend]");
        Assert.That(resent.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        await ConfirmAsync(_factory.Browser(), LinkIn(_factory.Mail.To("f0027@example.jp").Last()));

        var first = await (await _factory.Browser().GetAsync(firstLink)).Content.ReadAsStringAsync();
        Assert.That(ErrorOn(first, "verify-done"), Does.Contain("確認が完了しました"), "members often open the first mail in the inbox");
        Assert.That(ErrorOn(first, "verify-refused"), Is.Null);
    }

    [Test]
    public async Task ResendingWithinTheCooldown_IsRefusedWithAMessage_AndSendsNothing()
    {
        var browser = await MemberAtEmailStepAsync("F0005", "f0005@example.jp");
        var refused = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/journey/email"), new Dictionary<string, string>(), "form[action*=Resend]");
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(ErrorOn(await refused.Content.ReadAsStringAsync(), "email-send-error"), Does.Contain("秒ほどお待ちのうえ"));
        Assert.That(_factory.Mail.To("f0005@example.jp"), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task AddressesSentInParallel_MailOnce_TheCooldownHolds()
    {
        var browser = await MemberAtStepAsync("F0030", "/journey/email");
        var pages = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => browser.GetAsync("/journey/email")));

        var answers = await Task.WhenAll(pages.Select(page =>
            HtmlForm.SubmitAsync(browser, page, new Dictionary<string, string> { ["Email"] = "someone-else@example.org" })));

        Assert.That(answers.Select(a => a.StatusCode), Is.All.AnyOf(HttpStatusCode.Redirect, HttpStatusCode.OK), "no error for a burst");
        Assert.That(_factory.Mail.To("someone-else@example.org"), Has.Count.EqualTo(1), "the first send only: the rest wait out the cooldown");
    }

    [Test]
    public async Task DifferentAddressesSentInParallel_ToASlowMailProvider_MailNoMoreThanOneAddressAndOneCorrection()
    {
        // Each mail's audit event is written after the provider answers, outside the member's lock:
        // the limits must also see the mails still on their way.
        var browser = await MemberAtStepAsync("F0031", "/journey/email");
        var pages = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => browser.GetAsync("/journey/email")));
        _factory.Mail.Delay = TimeSpan.FromMilliseconds(700);
        try
        {
            await Task.WhenAll(pages.Select((page, i) =>
                HtmlForm.SubmitAsync(browser, page, new Dictionary<string, string> { ["Email"] = $"burst-{i}@example.org" })));
        }
        finally
        {
            _factory.Mail.Delay = TimeSpan.Zero;
        }

        var mailed = _factory.Mail.Mails.Count(m => m.To.StartsWith("burst-", StringComparison.Ordinal));
        Assert.That(mailed, Is.InRange(1, 2), "an address, and one correction of it, per cooldown");
    }

    [Test]
    public async Task EveryPage_SaysHowToReachTheSociety_InTheLanguageOfThePage()
    {
        var japanese = await _factory.Browser().GetStringAsync("/login");
        Assert.That(japanese, Does.Contain("<small id=\"society-contact\">健康保険組合 適用グループ 03-1234-5678（平日 9:00〜17:00）</small>"));

        using var inEnglish = new HttpRequestMessage(HttpMethod.Get, "/login");
        inEnglish.Headers.Add("Cookie", "kosmo_language=c%3Den%7Cuic%3Den");
        var english = await (await _factory.Browser().SendAsync(inEnglish)).Content.ReadAsStringAsync();
        Assert.That(english, Does.Contain("<html lang=\"en\""));
        Assert.That(english, Does.Contain("<span lang=\"ja\">健康保険組合 適用グループ</span> 03-1234-5678"), "no English line configured: the Japanese one, marked as Japanese");
    }

    [TestCase("F0006", "taro@@example")]
    [TestCase("F0016", "taro@[127.0.0.1]")]
    [TestCase("F0026", "太郎@example.jp")]
    [TestCase("F0036", "\"a<b>c\"@example.jp")]
    public async Task AnInvalidAddress_GetsAMessageByItsField(string userId, string typed)
    {
        var browser = await MemberAtStepAsync(userId, "/journey/email");
        var response = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/journey/email"), new Dictionary<string, string> { ["Email"] = typed });
        var html = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(html, Does.Contain("メールアドレスの形式が正しくありません"));
        Assert.That(html, Does.Contain($"value=\"{WebUtility.HtmlEncode(typed)}\""), "what the member typed stays in the field");
        Assert.That(_factory.Mail.To(typed), Is.Empty, "no mail sent");
    }

    [Test]
    public async Task AResendTheMailProviderRefused_LeavesTheLinkAlreadyMailedWorking()
    {
        await using var factory = await KosmoFactory.StartAsync(new Dictionary<string, string?> { ["EmailVerification:ResendCooldown"] = "00:00:00" });
        var browser = await AtTheEmailStepAsync(factory, "F0032");
        await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/journey/email"), new Dictionary<string, string> { ["Email"] = "f0032@example.jp" });
        var firstLink = LinkIn(factory.Mail.To("f0032@example.jp").Single());

        factory.Mail.Down = true;
        HttpResponseMessage resend;
        try
        {
            resend = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/journey/email"), new Dictionary<string, string>(), "form[action*=Resend]");
        }
        finally
        {
            factory.Mail.Down = false;
        }

        Assert.That(ErrorOn(await resend.Content.ReadAsStringAsync(), "email-send-error"), Does.Contain("ただいまメールを送信できません"));
        var phone = factory.Browser();
        var confirmed = await HtmlForm.SubmitAsync(phone, await phone.GetAsync(firstLink), new Dictionary<string, string>());
        Assert.That(confirmed.StatusCode, Is.Not.EqualTo(HttpStatusCode.InternalServerError));
        var member = await TestMembers.WithDbAsync(factory, db => db.Members.AsNoTracking().SingleAsync(m => m.UserId == "F0032"));
        Assert.That((member.Email, member.EmailVerifiedAt is not null), Is.EqualTo(("f0032@example.jp", true)),
            "no newer mail came, so the one the member has must still confirm the address");
    }

    [Test]
    public async Task AConfirmationTheDatabaseFailedHalfWay_LeavesTheLinkWorking_ForTheRetry()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var browser = await AtTheEmailStepAsync(factory, "F0033");
        await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/journey/email"), new Dictionary<string, string> { ["Email"] = "f0033@example.jp" });
        var link = LinkIn(factory.Mail.To("f0033@example.jp").Single());
        var phone = factory.Browser();
        var page = await phone.GetAsync(link);

        // The member's row cannot be written for a moment (a failover, a statement timeout).
        await FailingWrites.StartAsync(factory, "members", "UPDATE");
        var failed = await HtmlForm.SubmitAsync(phone, page, new Dictionary<string, string>());
        await FailingWrites.StopAsync(factory, "members");
        Assert.That(failed.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));

        var retried = await HtmlForm.SubmitAsync(phone, await phone.GetAsync(link), new Dictionary<string, string>());
        Assert.That(retried.StatusCode, Is.Not.EqualTo(HttpStatusCode.ServiceUnavailable));
        var stored = await TestMembers.WithDbAsync(factory, db => db.Members.AsNoTracking().SingleAsync(m => m.UserId == "F0033"));
        Assert.That((stored.Email, stored.EmailVerifiedAt is not null), Is.EqualTo(("f0033@example.jp", true)), "the 503 page says nothing done was lost: the link was not used up");
    }

    [Test]
    public async Task AMailProviderThatIsDown_GivesAClearMessageAndARetry_AndKeepsTheMembersProgress()
    {
        var browser = await MemberAtStepAsync("F0007", "/journey/email");
        _factory.Mail.Down = true;
        HttpResponseMessage failed;
        try
        {
            failed = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/journey/email"), new Dictionary<string, string> { ["Email"] = "f0007@example.jp" });
        }
        finally
        {
            _factory.Mail.Down = false;
        }

        var html = await failed.Content.ReadAsStringAsync();
        Assert.That(failed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(ErrorOn(html, "email-send-error"), Does.Contain("ただいまメールを送信できません"));
        Assert.That(html, Does.Contain("value=\"f0007@example.jp\""));
        var stored = await TestMembers.WithDbAsync(_factory, db => db.Members.AsNoTracking().SingleAsync(m => m.UserId == "F0007"));
        Assert.That(stored.AcceptedTermsVersion, Is.Not.Null, "earlier steps stay done");

        var retried = await HtmlForm.SubmitAsync(browser, failed, new Dictionary<string, string> { ["Email"] = "f0007@example.jp" }, "form[action*=Send]");
        Assert.That(retried.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), "the retry goes through at once");
        Assert.That(_factory.Mail.To("f0007@example.jp"), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task AnAddressTheMailProviderRefuses_AsksTheMemberToCheckIt_AndAnotherGoesOutAtOnce()
    {
        var browser = await MemberAtStepAsync("F0041", "/journey/email");
        _factory.Mail.RefusedAddresses["f0041.@example.jp"] = true;

        var refused = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/journey/email"), new Dictionary<string, string> { ["Email"] = "f0041.@example.jp" });

        var html = await refused.Content.ReadAsStringAsync();
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(ErrorOn(html, "email-send-error"), Does.Contain("このメールアドレスにはメールを送れませんでした").And.Not.Contain("ただいま"),
            "waiting would not help: the address is what to look at");
        Assert.That(html, Does.Contain("value=\"f0041.@example.jp\""), "the address stays in the field to be corrected");
        var corrected = await HtmlForm.SubmitAsync(browser, refused, new Dictionary<string, string> { ["Email"] = "f0041@example.jp" }, "form[action*=Send]");
        Assert.That(corrected.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), "no cooldown for a mail that never went");
        Assert.That(_factory.Mail.To("f0041@example.jp"), Has.Count.EqualTo(1));
        Assert.That(_factory.Logs.Leveled.Where(l => l.Text.StartsWith("SendGrid refused the recipient", StringComparison.Ordinal)).Select(l => (l.Level, l.Text.Contains("f0041"))),
            Is.EqualTo(new[] { (Serilog.Events.LogEventLevel.Warning, false) }), "a warning, not an operator's error, and without the address");
    }

    [TestCase("", "新しいパスワードを入力してください")]
    [TestCase("Ab3", "8文字以上")]
    [TestCase("😀😀😀😀a1", "8文字以上")]
    [TestCase("Abcdefg1\u0001", "使えない文字")]
    [TestCase("abcdefghijk", "数字を1文字以上")]
    [TestCase("1234567890", "英字を1文字以上")]
    [TestCase("ａｂｃ１２３４５６７", "全角の英数字")]
    [TestCase("password1", "よく使われている")]
    [TestCase("F0008x99", "ユーザIDと同じ")]
    [TestCase(" Kosmo2026sp ", "先頭または末尾に空白")]
    public async Task AWeakNewPassword_IsRefusedWithTheReason(string password, string reason)
    {
        var userId = password == "F0008x99" ? "F0008x99" : "F0008-" + Guid.NewGuid().ToString("N")[..6];
        var browser = await MemberAtStepAsync(userId, "/journey/new-password");
        var refused = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/journey/new-password"),
            new Dictionary<string, string> { ["Password"] = password, ["Confirmation"] = password });
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(ErrorOn(await refused.Content.ReadAsStringAsync(), "password-error"), Does.Contain(reason));
    }

    [Test]
    public async Task TheNewPasswordSentTwice_GetsTheFirstAnswer_AndThisBrowserGoesOnSignedIn()
    {
        var browser = await MemberAtStepAsync("F0037", "/journey/new-password", browser: _factory.BrowserWithJar(out var cookies));
        var page = await browser.GetAsync("/journey/new-password");
        var whenSent = cookies.Header();
        var form = new Dictionary<string, string> { ["Password"] = "Sent-Twice-2026", ["Confirmation"] = "Sent-Twice-2026" };

        var first = await HtmlForm.SubmitAsync(browser, page, form);
        // The copy arrives after the first answer, with the cookie from before it (a resend on a slow line).
        var again = await HtmlForm.SubmitAsync(_factory.WithCookies(whenSent), page, form);

        Assert.That(PathOf(first), Is.Not.EqualTo("/login"));
        Assert.That(again.Headers.Location?.OriginalString, Is.EqualTo(first.Headers.Location?.OriginalString), "the first answer, not the login page");
        Assert.That(PathOf(await _factory.WithSessionFrom(again, whenSent).GetAsync(first.Headers.Location!)), Is.EqualTo("(no redirect: OK)"),
            "the cookie of the second answer goes on where the first led");
        Assert.That((await TestMembers.AuditKindsAsync(_factory, "F0037")).Count(k => k == AuditKinds.PasswordChanged), Is.EqualTo(1));
    }

    [Test]
    public async Task TheNewPasswordFormsBody_SentAgainToTheAppSetupPage_IsNoRepeat_AndSkipsNoCode()
    {
        var browser = await MemberAtStepAsync("F0039", "/journey/new-password", browser: _factory.BrowserWithJar(out var cookies));
        var page = await browser.GetAsync("/journey/new-password");
        var whenSent = cookies.Header();
        var fields = (await HtmlForm.ParseAsync(page)).QuerySelectorAll("main form input[type=hidden]").Cast<AngleSharp.Html.Dom.IHtmlInputElement>()
            .Where(i => !string.IsNullOrEmpty(i.Name)).ToDictionary(i => i.Name!, i => i.Value);
        fields["Password"] = "Sent-Twice-2026";
        fields["Confirmation"] = "Sent-Twice-2026";
        var first = await browser.PostAsync("/journey/new-password", new FormUrlEncodedContent(fields));
        Assert.That(PathOf(first), Is.EqualTo("/journey/otp"), "an email-code member goes on to the code");

        // The same body, with the cookie from before the pass, to another page that answers repeats of its own form.
        var copy = await _factory.WithCookies(whenSent).PostAsync("/journey/otp-setup/app", new FormUrlEncodedContent(fields));

        Assert.That(PathOf(copy), Is.EqualTo("/journey/otp").Or.EqualTo("/login"), "no code was typed: the session has no second factor");
        Assert.That(PathOf(await _factory.WithSessionFrom(copy, whenSent).GetAsync("/account")), Is.Not.EqualTo("(no redirect: OK)"));
    }

    [Test]
    public async Task TheInitialPasswordFromTheNotice_CannotBeKept()
    {
        var browser = await MemberAtStepAsync("F0009", "/journey/new-password", issuedPassword: "Notice7Pass");
        var refused = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/journey/new-password"),
            new Dictionary<string, string> { ["Password"] = "Notice7Pass", ["Confirmation"] = "Notice7Pass" });
        Assert.That(await refused.Content.ReadAsStringAsync(), Does.Contain("初期パスワードは使用できません"));
        var kinds = await TestMembers.WithDbAsync(_factory, db => db.AuditEvents.Where(a => a.Kind == AuditKinds.PasswordRefused).Select(a => a.Detail).ToListAsync());
        Assert.That(kinds, Has.Some.Contain("NewPassword.IsInitial").And.None.Contain("Notice7Pass"));
    }

    [Test]
    public async Task TheMethodCanBeChosenAgainUntilTheNewPasswordIsSet_AndTheLastChoiceCounts()
    {
        // Email was chosen (in another tab, or before the back button); the member now picks the app.
        var browser = await MemberAtStepAsync("F0013", "/journey/new-password");
        var methodPage = await browser.GetAsync("/journey/method");
        Assert.That(methodPage.StatusCode, Is.EqualTo(HttpStatusCode.OK), "still open to a change");
        Assert.That((await HtmlForm.ParseAsync(methodPage)).QuerySelector("#method-email")?.HasAttribute("checked"), Is.True, "the choice so far is shown");

        var changed = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/journey/method"), new Dictionary<string, string> { ["Method"] = "App" });
        Assert.That(PathOf(changed), Is.EqualTo("/journey/new-password"));
        var afterPassword = await SubmitNextAsync(browser, changed, new Dictionary<string, string> { ["Password"] = "Changed2026pw", ["Confirmation"] = "Changed2026pw" });
        Assert.That(PathOf(afterPassword), Is.EqualTo("/journey/otp-setup/app"), "the app is set up, as last chosen");

        Assert.That(PathOf(await browser.GetAsync("/journey/method")), Is.EqualTo("/journey/otp-setup/app"), "once the password is set, the choice stands");

        // A tab left open on the method page sends the other choice now: nothing changes, and it says so.
        var stale = await HtmlForm.SubmitAsync(browser, methodPage, new Dictionary<string, string> { ["Method"] = "Email" });
        var html = await HtmlForm.ParseAsync(stale);
        Assert.That(html.GetElementById("method-already-chosen")?.TextContent, Does.Contain("ワンタイムパスワード認証（アプリ）"));
        Assert.That(html.GetElementById("method-continue")?.GetAttribute("href"), Is.EqualTo("/journey/otp-setup/app"));
        var stored = await TestMembers.WithDbAsync(_factory, db => db.Members.AsNoTracking().SingleAsync(m => m.UserId == "F0013"));
        Assert.That(stored.OtpMethod, Is.EqualTo(OtpMethod.App));
    }

    [Test]
    public async Task AMemberWhosePasswordWasReset_CannotChangeTheMethodOnTheWayToTheNewPassword()
    {
        // An operator's reset-password: the member has codes by mail and must choose a new password.
        await TestMembers.AddAsync(_factory, "F0014", "Before2026pw");
        await TestMembers.WithDbAsync(_factory, db => db.Members.Where(m => m.UserId == "F0014")
            .ExecuteUpdateAsync(set => set.SetProperty(m => m.PasswordMustChange, true)));
        var browser = _factory.Browser();
        var afterCode = await OtpMail.CompleteAsync(_factory, browser, await LoginAsync(browser, "F0014", "Before2026pw"), "f0014@example.jp");
        Assert.That(PathOf(afterCode), Is.EqualTo("/journey/new-password"));

        Assert.That(PathOf(await browser.GetAsync("/journey/method")), Is.EqualTo("/journey/new-password"), "methods change on the account page, with 本人確認");
    }

    [Test]
    public async Task ANewPasswordFromASecondWindow_AfterTheFirstSetOne_ChangesNothing_AndSaysWhichPasswordCounts()
    {
        var browser = await MemberAtStepAsync("F0012", "/journey/new-password");
        var firstWindow = await browser.GetAsync("/journey/new-password");
        var secondWindow = await browser.GetAsync("/journey/new-password");
        var set = await HtmlForm.SubmitAsync(browser, firstWindow, new Dictionary<string, string> { ["Password"] = "First2026pw", ["Confirmation"] = "First2026pw" });
        Assert.That(PathOf(set), Is.EqualTo("/journey/otp"));

        // The first window's form sent again (a double click, a reload's resend): nothing to tell, on it goes.
        var resent = await HtmlForm.SubmitAsync(browser, firstWindow, new Dictionary<string, string> { ["Password"] = "First2026pw", ["Confirmation"] = "First2026pw" });
        Assert.That(PathOf(resent), Is.EqualTo("/journey/otp"), "the password typed is the one in force");

        var stale = await HtmlForm.SubmitAsync(browser, secondWindow, new Dictionary<string, string> { ["Password"] = "Other2026pw", ["Confirmation"] = "Other2026pw" });
        var html = await stale.Content.ReadAsStringAsync();
        Assert.That(stale.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(html, Does.Contain("id=\"password-already-set\"").And.Contain("先に設定したパスワード"));
        Assert.That(html, Does.Contain("href=\"/journey/otp\""), "and the way on");
        Assert.That(PathOf(await LoginAsync(_factory.Browser(), "F0012", "Other2026pw")), Is.EqualTo("(no redirect: OK)"), "the second window's password was not set: the login page again");
        Assert.That(PathOf(await LoginAsync(_factory.Browser(), "F0012", "First2026pw")), Is.EqualTo("/journey/otp"), "the first window's was");
    }

    [Test]
    public async Task NewPasswordsFromTwoWindowsAtOnce_SetTheFirst_AndTheOtherSaysWhichCounts_WithoutLosingTheBrowsersSession()
    {
        var browser = await MemberAtStepAsync("F0042", "/journey/new-password");
        var firstWindow = await browser.GetAsync("/journey/new-password");
        var secondWindow = await browser.GetAsync("/journey/new-password");

        var answers = await Task.WhenAll(
            HtmlForm.SubmitAsync(browser, firstWindow, new Dictionary<string, string> { ["Password"] = "First2026pw", ["Confirmation"] = "First2026pw" }),
            HtmlForm.SubmitAsync(browser, secondWindow, new Dictionary<string, string> { ["Password"] = "Other2026pw", ["Confirmation"] = "Other2026pw" }));

        Assert.That(answers.Count(a => PathOf(a) == "/journey/otp"), Is.EqualTo(1), "one window's password is set, and it goes on");
        var other = answers.Single(a => PathOf(a) != "/journey/otp");
        Assert.That(other.StatusCode, Is.EqualTo(HttpStatusCode.OK), "not the login page: " + PathOf(other));
        Assert.That(await other.Content.ReadAsStringAsync(), Does.Contain("id=\"password-already-set\""));
        // Whichever answer came last, the browser is still signed in and goes on.
        Assert.That(PathOf(await browser.GetAsync("/journey/new-password")), Is.EqualTo("/journey/otp"));
    }

    [Test]
    public async Task ALongPastedPassphrase_IsAccepted_AndMismatchedConfirmationIsNot()
    {
        var passphrase = "桜の花が咲く4月に健康診断を予約する - a pasted passphrase with spaces, from a password manager 2026";
        Assert.That(passphrase.Length, Is.GreaterThan(64));
        var browser = await MemberAtStepAsync("F0010", "/journey/new-password");
        var mismatch = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/journey/new-password"),
            new Dictionary<string, string> { ["Password"] = passphrase, ["Confirmation"] = passphrase + "x" });
        Assert.That(await mismatch.Content.ReadAsStringAsync(), Does.Contain("確認用のパスワードが一致しません"));

        var accepted = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/journey/new-password"),
            new Dictionary<string, string> { ["Password"] = passphrase, ["Confirmation"] = passphrase });
        Assert.That(PathOf(accepted), Is.EqualTo("/journey/otp"), "on to the chosen method");
        Assert.That(PathOf(await LoginAsync(_factory.Browser(), "F0010", passphrase)), Is.EqualTo("/journey/otp"), "the passphrase signs in");
    }

    [Test]
    public async Task TheLanguageSwitch_ShowsEnglish_AndIsRememberedOnTheNextPages()
    {
        var browser = _factory.Browser();
        var login = await browser.GetAsync("/login");
        Assert.That(await login.Content.ReadAsStringAsync(), Does.Contain("<html lang=\"ja\"").And.Contain("ユーザID"));
        var switched = await HtmlForm.SubmitAsync(browser, login, new Dictionary<string, string> { ["culture"] = "en" }, "form.language-switch");
        Assert.That(switched.Headers.Location!.OriginalString, Is.EqualTo("/login"));

        var english = await (await browser.GetAsync("/login")).Content.ReadAsStringAsync();
        Assert.That(english, Does.Contain("<html lang=\"en\"").And.Contain("User ID").And.Not.Contain("ユーザID"));
        var wrong = await LoginAsync(browser, "nobody", "wrong-password");
        Assert.That(ErrorOn(await wrong.Content.ReadAsStringAsync(), "login-error"), Does.StartWith("The user ID or password is incorrect."));
        var terms = await (await browser.GetAsync("/signed-out")).Content.ReadAsStringAsync();
        Assert.That(terms, Does.Contain("You have signed out"));
    }

    [Test]
    public async Task AnAppsUiLocales_SetsThePagesLanguage_UnlessTheMemberChoseOne()
    {
        var app = TestRelyingApp.Portal(_factory);
        var toLogin = await app.Browser.GetAsync(app.AuthorizeUrl(Pkce.Create(), new Dictionary<string, string?> { ["ui_locales"] = "fr en-US" }));
        var login = await (await app.Browser.GetAsync(toLogin.Headers.Location)).Content.ReadAsStringAsync();
        Assert.That(login, Does.Contain("<html lang=\"en\"").And.Contain("User ID"), "the first language of the list that the pages have");

        var chosen = TestRelyingApp.Portal(_factory);
        await HtmlForm.SubmitAsync(chosen.Browser, await chosen.Browser.GetAsync("/login"), new Dictionary<string, string> { ["culture"] = "ja" }, "form.language-switch");
        var again = await chosen.Browser.GetAsync(chosen.AuthorizeUrl(Pkce.Create(), new Dictionary<string, string?> { ["ui_locales"] = "en" }));
        var japanese = await (await chosen.Browser.GetAsync(again.Headers.Location)).Content.ReadAsStringAsync();
        Assert.That(japanese, Does.Contain("<html lang=\"ja\"").And.Contain("ユーザID"), "the member's own choice wins");
    }

    [Test]
    public async Task AnAppsUiLocales_AlsoSetsTheLanguageOfTheErrorPageForItsRefusedRequest()
    {
        var app = new TestRelyingApp(_factory, "no-such-app", KosmoFactory.PortalRedirect, null);
        var refused = await app.Browser.GetAsync(app.AuthorizeUrl(Pkce.Create(), new Dictionary<string, string?> { ["ui_locales"] = "en" }));
        var page = await refused.Content.ReadAsStringAsync();
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(page, Does.Contain("<html lang=\"en\"").And.Contain("This request cannot be accepted"));

        var unasked = await app.Browser.GetAsync(app.AuthorizeUrl(Pkce.Create()));
        Assert.That(await unasked.Content.ReadAsStringAsync(), Does.Contain("<html lang=\"ja\""), "only the request that asked; no cookie for a refused app");
    }

    /// <summary>A roster member of a factory of the test's own, signed in at the email step.</summary>
    private async Task<string> SubmitBirthDateAsync(HttpClient browser, string typed)
    {
        var page = await browser.GetAsync("/journey/birthdate");
        var response = await HtmlForm.SubmitAsync(browser, page, new Dictionary<string, string> { ["BirthDate"] = typed });
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>A roster member signed in, with the steps before <paramref name="step"/> already done.</summary>
    private async Task<HttpClient> MemberAtStepAsync(string userId, string step, string? issuedPassword = null, HttpClient? browser = null)
    {
        var member = await TestMembers.AddFromRosterAsync(_factory, userId, "900", "9", new DateOnly(1970, 1, 1));
        var now = DateTimeOffset.UtcNow;
        await TestMembers.WithDbAsync(_factory, async db =>
        {
            var stored = await db.Members.SingleAsync(m => m.Id == member.Id);
            stored.BirthDateConfirmedAt = now;
            stored.AcceptedTermsVersion = "2026-04-01";
            if (issuedPassword is not null)
            {
                stored.PasswordHash = _factory.Services.GetRequiredService<PasswordHashing>().Hash(issuedPassword);
            }

            return await db.SaveChangesAsync();
        });
        browser ??= _factory.Browser();
        var login = step == "/journey/new-password"
            ? await TestMembers.SignInPastEmailAsync(_factory, browser, userId, issuedPassword ?? "900919700101", method: OtpMethod.Email)
            : await LoginAsync(browser, userId, issuedPassword ?? "900919700101");
        Assert.That(PathOf(login), Is.EqualTo(step));
        return browser;
    }

    private async Task<HttpClient> MemberAtEmailStepAsync(string userId, string email)
    {
        var browser = await MemberAtStepAsync(userId, "/journey/email");
        var sent = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/journey/email"), new Dictionary<string, string> { ["Email"] = email });
        Assert.That(sent.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await sent.Content.ReadAsStringAsync());
        return browser;
    }

    private static async Task ConfirmAsync(HttpClient phone, string link)
    {
        var confirmed = await HtmlForm.SubmitAsync(phone, await phone.GetAsync(link), new Dictionary<string, string>());
        Assert.That(await confirmed.Content.ReadAsStringAsync(), Does.Contain("確認が完了しました"));
    }

    /// <summary>Ages the member's links as the clock would: past their expiry, or past the resend cooldown.</summary>
    private Task<int> MoveClockOfLinksAsync(string userId, bool expired, bool sentLongAgo) =>
        TestMembers.WithDbAsync(_factory, async db =>
        {
            var id = await db.Members.Where(m => m.UserId == userId).Select(m => m.Id).SingleAsync();
            var past = DateTimeOffset.UtcNow.AddHours(-2);
            if (sentLongAgo)
            {
                // The cooldown also reads when the last link was mailed, from the audit trail.
                await db.AuditEvents.Where(a => a.MemberId == id && a.Kind == AuditKinds.EmailVerificationSent)
                    .ExecuteUpdateAsync(set => set.SetProperty(a => a.OccurredAt, past));
            }

            return await db.EmailVerifications.Where(v => v.MemberId == id).ExecuteUpdateAsync(set => set
                .SetProperty(v => v.ExpiresAt, v => expired ? past : v.ExpiresAt)
                .SetProperty(v => v.SentAt, v => sentLongAgo ? past : v.SentAt));
        });
}
