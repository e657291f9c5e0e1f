using System.Net;
using Kosmo.Idp.Journey;
using Kosmo.Idp.Members;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using static Kosmo.Idp.Tests.Journey.JourneySteps;

namespace Kosmo.Idp.Tests.Journey;

/// <summary>Manual p.2-3: a roster member from the initial password to a relying app's tokens.</summary>
public sealed class FirstLoginJourneyTests
{
    private KosmoFactory _factory = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _factory = await KosmoFactory.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _factory.DisposeAsync();

    [Test]
    public async Task RosterMember_WalksEveryStepInTheManualsOrder_AndReturnsToTheRelyingAppWithTokens()
    {
        var member = await TestMembers.AddFromRosterAsync(_factory, "R0001", "123", "4567", new DateOnly(1984, 10, 7), "健保 一郎", "r0001@example.jp");
        var app = TestRelyingApp.Portal(_factory);
        var browser = app.Browser;
        var pkce = Pkce.Create();

        // 1 login with 記号+番号+生年月日
        var authorize = await browser.GetAsync(app.AuthorizeUrl(pkce));
        Assert.That(PathOf(authorize), Is.EqualTo("/login"));
        var afterLogin = await LoginAsync(browser, "R0001", "123456719841007", authorize.Headers.Location!.OriginalString);
        Assert.That(PathOf(afterLogin), Is.EqualTo("/journey/birthdate"));

        // 2 birthdate, typed with full-width digits and slashes
        var afterBirthDate = await SubmitNextAsync(browser, afterLogin, new Dictionary<string, string> { ["BirthDate"] = "１９８４/10/07" });
        Assert.That(PathOf(afterBirthDate), Is.EqualTo("/journey/terms"));

        // 3 terms: the configured text, then 同意する
        var termsPage = await FollowAsync(browser, afterBirthDate);
        var termsHtml = await termsPage.Content.ReadAsStringAsync();
        Assert.That(termsHtml, Does.Contain("KOSMO Web 利用規約").And.Contain("同意する"));
        var terms = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(termsHtml).GetElementById("terms-text")!;
        Assert.That(terms.QuerySelector("h2")?.TextContent, Is.EqualTo("KOSMO Web 利用規約"), "the title, and each article's heading, for screen readers to move by");
        Assert.That(terms.QuerySelectorAll("h3").Select(h => h.TextContent), Has.Some.EqualTo("第1条（目的）"));
        var afterTerms = await HtmlForm.SubmitAsync(browser, termsPage, new Dictionary<string, string>(), button: "button[formaction*=Accept]");
        Assert.That(PathOf(afterTerms), Is.EqualTo("/journey/email"));

        // 4 email: the roster's address is offered; sending shows the waiting page
        var emailPage = await FollowAsync(browser, afterTerms);
        Assert.That(await emailPage.Content.ReadAsStringAsync(), Does.Contain("value=\"r0001@example.jp\""));
        var afterSend = await HtmlForm.SubmitAsync(browser, emailPage, new Dictionary<string, string> { ["Email"] = "r0001@example.jp" });
        Assert.That(afterSend.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await afterSend.Content.ReadAsStringAsync());
        var waiting = await FollowAsync(browser, afterSend);
        var waitingHtml = await waiting.Content.ReadAsStringAsync();
        Assert.That(waitingHtml, Does.Contain("r0001@example.jp に確認メールを送信しました").And.Contain("更新"));
        Assert.That(await StatusAsync(browser), Is.False, "nothing to move on to before the link is opened");

        // 5 the mail: through the SendGrid client, Japanese, text and HTML, from the manual's sender
        var mail = _factory.Mail.To("r0001@example.jp").Single();
        Assert.That(mail.Subject, Is.EqualTo("【KOSMOWeb】メールアドレス確認のお願い"));
        Assert.That(mail.From, Is.EqualTo("no-reply@kosmo-web.jp"));
        Assert.That(mail.FromName, Is.EqualTo("健康保険組合"));
        Assert.That(mail.Authorization, Is.EqualTo("Bearer " + MailCatcher.ApiKey));
        // The link goes to the member as it is, not through SendGrid's click tracker, and no tracking image is added.
        var tracking = mail.Request.GetProperty("tracking_settings");
        Assert.That(tracking.GetProperty("click_tracking").GetProperty("enable").GetBoolean(), Is.False);
        Assert.That(tracking.GetProperty("click_tracking").GetProperty("enable_text").GetBoolean(), Is.False);
        Assert.That(tracking.GetProperty("open_tracking").GetProperty("enable").GetBoolean(), Is.False);
        Assert.That(tracking.GetProperty("subscription_tracking").GetProperty("enable").GetBoolean(), Is.False);
        Assert.That(mail.Request.GetProperty("categories").EnumerateArray().Select(c => c.GetString()), Is.EqualTo(new[] { "email-verification" }));
        Assert.That(mail.Request.GetProperty("headers").GetProperty("Auto-Submitted").GetString(), Is.EqualTo("auto-generated"));
        Assert.That(mail.Text, Does.Contain("元の画面に戻り「更新」を押してください"), "manual step 7");
        var linkExpiresAt = await TestMembers.WithDbAsync(_factory, db => db.EmailVerifications.Where(v => v.Email == "r0001@example.jp").Select(v => v.ExpiresAt).SingleAsync());
        Assert.That(mail.Text, Does.Contain($"このリンクは {linkExpiresAt.ToOffset(TimeSpan.FromHours(9)):yyyy年M月d日 H:mm}（日本時間）まで、一度だけ使用できます。"));
        Assert.That(mail.Html, Does.Contain(">メールアドレスを確認する</a>").And.Contain("<p lang=\"en\">"), "Japanese as text, not as entities; English below");
        Assert.That(mail.Html, Does.Contain("<meta name=\"viewport\"").And.Match("<a href=\"[^\"]+\" style=\"display:inline-block;padding:"),
            "fits a phone, and the whole blue button is the link, not only its words");
        var english = mail.Html.IndexOf("<p lang=\"en\">", StringComparison.Ordinal);
        Assert.That(mail.Html.IndexOf(">メールアドレスを確認する</a>", StringComparison.Ordinal), Is.LessThan(english), "the button, then the English");
        Assert.That(mail.Html[english..], Does.Contain("the button above").And.Contain("If the button does not work, paste the address above into your browser."),
            "the English says what to do without the button, as the Japanese does");
        var link = LinkIn(mail);
        Assert.That(mail.Html, Does.Contain(link.Replace("&", "&amp;")));

        // ... opened on the phone, which has no session
        var phone = _factory.Browser();
        var linkPage = await phone.GetAsync(link);
        var confirmed = await HtmlForm.SubmitAsync(phone, linkPage, new Dictionary<string, string>());
        Assert.That(await confirmed.Content.ReadAsStringAsync(), Does.Contain("確認が完了しました"));

        // 6 the original page moves on (its script polls this), or on 更新
        Assert.That(await StatusAsync(browser), Is.True);
        var refreshed = await browser.GetAsync(waiting.RequestMessage!.RequestUri);
        Assert.That(PathOf(refreshed), Is.EqualTo("/journey/method"));

        // 7 method choice, worded as the manual prints it
        var choices = (await HtmlForm.ParseAsync(await FollowAsync(browser, refreshed))).QuerySelectorAll("label.choice strong").Select(c => c.TextContent.Trim());
        Assert.That(choices, Is.EqualTo(new[] { "ワンタイムパスワード認証（メール）", "ワンタイムパスワード認証（アプリ）" }));
        var afterMethod = await SubmitNextAsync(browser, refreshed, new Dictionary<string, string> { ["Method"] = "Email" });
        Assert.That(PathOf(afterMethod), Is.EqualTo("/journey/new-password"));

        // 8 new password, then straight on to the chosen method (no forced logout): the first mailed code enables it
        var afterPassword = await SubmitNextAsync(browser, afterMethod,
            new Dictionary<string, string> { ["Password"] = "Kenpo-Sakura-2026", ["Confirmation"] = "Kenpo-Sakura-2026" });
        Assert.That(PathOf(afterPassword), Is.EqualTo("/journey/otp"));
        var afterOtp = await OtpMail.CompleteAsync(_factory, browser, afterPassword, "r0001@example.jp");
        Assert.That(PathOf(afterOtp), Is.EqualTo("/journey/recovery-codes"));
        var afterCodes = await SubmitNextAsync(browser, afterOtp, new Dictionary<string, string>());
        Assert.That(PathOf(afterCodes), Is.EqualTo("/connect/authorize"), "back to the relying app's request");
        var callback = AuthorizationResponse.From(await browser.GetAsync(afterCodes.Headers.Location), KosmoFactory.PortalRedirect);
        Assert.That(callback.Code, Is.Not.Null, "the relying app gets its code");
        var tokens = await app.RedeemAsync(callback.Code!, pkce.Verifier);
        Assert.That(tokens.Status, Is.EqualTo(HttpStatusCode.OK), tokens.Body.ToString());

        var stored = await TestMembers.WithDbAsync(_factory, db => db.Members.AsNoTracking().SingleAsync(m => m.Id == member.Id));
        Assert.Multiple(() =>
        {
            Assert.That(stored.BirthDateConfirmedAt, Is.Not.Null);
            Assert.That(stored.AcceptedTermsVersion, Is.EqualTo("2026-04-01"));
            Assert.That(stored.Email, Is.EqualTo("r0001@example.jp"));
            Assert.That(stored.EmailVerifiedAt, Is.Not.Null);
            Assert.That(stored.OtpMethod, Is.EqualTo(OtpMethod.Email));
            Assert.That(stored.EmailOtpEnabledAt, Is.Not.Null);
            Assert.That(stored.PasswordMustChange, Is.False);
        });

        // the initial password no longer works; the new one does, followed by the one-time password only
        Assert.That(PathOf(await LoginAsync(_factory.Browser(), "R0001", "123456719841007")), Is.EqualTo("(no redirect: OK)"));
        Assert.That(PathOf(await LoginAsync(_factory.Browser(), "R0001", "Kenpo-Sakura-2026")), Is.EqualTo("/journey/otp"));

        var kinds = await TestMembers.WithDbAsync(_factory, db => db.AuditEvents.Where(a => a.MemberId == member.Id).Select(a => a.Kind).ToListAsync());
        Assert.That(kinds, Is.SupersetOf(new[]
        {
            AuditKinds.SignInSucceeded, AuditKinds.BirthDateConfirmed, AuditKinds.TermsAccepted, AuditKinds.EmailVerificationSent,
            AuditKinds.EmailVerified, AuditKinds.OtpMethodChosen, AuditKinds.PasswordChanged, AuditKinds.OtpSent, AuditKinds.OtpVerified,
            AuditKinds.RecoveryCodesIssued,
        }));
        await _factory.NoticesTriedAsync();
        Assert.That(_factory.Mail.To("r0001@example.jp").Select(m => m.Subject), Has.None.Contain("リカバリーコード"),
            "the set that completes enrolment is the member's own doing on the screen, not news");
        var details = await TestMembers.WithDbAsync(_factory, db => db.AuditEvents.Select(a => a.Detail ?? "").ToListAsync());
        Assert.That(details, Has.None.Contain("Kenpo-Sakura-2026").And.None.Contain("123456719841007").And.None.Contain("token="));
        var token = link.Split("token=")[1];
        Assert.That(_factory.Logs.Events, Has.None.Contain("Kenpo-Sakura-2026").And.None.Contain("123456719841007").And.None.Contain(token),
            "no password or link token in any log event");
    }

    [Test]
    public async Task AnAppThatAsksForAnAuthenticatorApp_IsSaidSoOnTheMethodPage_WithTheAppChosen()
    {
        var member = await TestMembers.AddFromRosterAsync(_factory, "R0015", "150", "15", new DateOnly(1988, 5, 15));
        await TestMembers.SkipToAsync(_factory, member, JourneyStep.VerifyEmail);
        var app = TestRelyingApp.Portal(_factory);
        var authorize = await app.Browser.GetAsync(app.AuthorizeUrl(Pkce.Create(), new Dictionary<string, string?> { ["acr_values"] = "urn:kosmo:acr:mfa:app" }));
        var atMethod = await TestMembers.SignInPastEmailAsync(_factory, app.Browser, "R0015", "1501519880515", authorize.Headers.Location!.OriginalString);
        Assert.That(PathOf(atMethod), Is.EqualTo("/journey/method"));

        var page = await HtmlForm.ParseAsync(await FollowAsync(app.Browser, atMethod));
        Assert.That(page.GetElementById("method-app-required")?.TextContent, Does.Contain("認証アプリによるワンタイムパスワードが必要です"));
        Assert.That(page.GetElementById("method-app")?.HasAttribute("checked"), Is.True, "the app is chosen already");

        var plain = TestRelyingApp.Portal(_factory);
        await TestMembers.SkipToAsync(_factory, await TestMembers.AddFromRosterAsync(_factory, "R0016", "160", "16", new DateOnly(1988, 6, 16)), JourneyStep.VerifyEmail);
        var plainAtMethod = await TestMembers.SignInPastEmailAsync(_factory, plain.Browser, "R0016", "1601619880616",
            (await plain.Browser.GetAsync(plain.AuthorizeUrl(Pkce.Create()))).Headers.Location!.OriginalString);
        var plainPage = await HtmlForm.ParseAsync(await FollowAsync(plain.Browser, plainAtMethod));
        Assert.That(plainPage.GetElementById("method-app-required"), Is.Null, "an app that asks for no authenticator app: the member chooses freely");
        Assert.That(plainPage.QuerySelector("input[name=Method][checked]"), Is.Null);
    }

    [Test]
    public async Task RosterMemberChoosingTheApp_SetsItUpAfterTheNewPassword_AndReturnsToTheRelyingAppWithACode()
    {
        var member = await TestMembers.AddFromRosterAsync(_factory, "R0007", "700", "7", new DateOnly(1988, 8, 8));
        await TestMembers.SkipToAsync(_factory, member, JourneyStep.VerifyEmail);
        var app = TestRelyingApp.Portal(_factory);
        var browser = app.Browser;
        var pkce = Pkce.Create();
        var authorize = await browser.GetAsync(app.AuthorizeUrl(pkce));
        var afterLogin = await TestMembers.SignInPastEmailAsync(_factory, browser, "R0007", "700719880808", authorize.Headers.Location!.OriginalString);
        Assert.That(PathOf(afterLogin), Is.EqualTo("/journey/method"));

        var afterMethod = await SubmitNextAsync(browser, afterLogin, new Dictionary<string, string> { ["Method"] = nameof(OtpMethod.App) });
        Assert.That(PathOf(afterMethod), Is.EqualTo("/journey/new-password"));
        var afterPassword = await SubmitNextAsync(browser, afterMethod,
            new Dictionary<string, string> { ["Password"] = "Kenpo-Momiji-2026", ["Confirmation"] = "Kenpo-Momiji-2026" });
        Assert.That(PathOf(afterPassword), Is.EqualTo("/journey/otp-setup/app"), "the app is set up instead of a mailed code");
        Assert.That(_factory.Mail.To("r0007@example.jp"), Is.Empty, "no code is mailed to a member who chose the app");

        var setup = await FollowAsync(browser, afterPassword);
        Assert.That(setup.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var key = await AuthenticatorApp.ScanAsync(browser, setup);
        var enrolled = await HtmlForm.SubmitAsync(browser, setup,
            new Dictionary<string, string> { ["Code"] = AuthenticatorApp.CodeAt(key, DateTimeOffset.UtcNow), ["DeviceName"] = "私のAndroid" }, "#otp-setup-form");
        Assert.That(PathOf(enrolled), Is.EqualTo("/journey/recovery-codes"), await enrolled.Content.ReadAsStringAsync());
        var codesPage = await FollowAsync(browser, enrolled);
        Assert.That(await RecoveryCodesOnAsync(codesPage), Has.Count.EqualTo(10));
        var afterCodes = await HtmlForm.SubmitAsync(browser, codesPage, new Dictionary<string, string>());
        Assert.That(PathOf(afterCodes), Is.EqualTo("/connect/authorize"), "back to the relying app's request");
        var callback = AuthorizationResponse.From(await browser.GetAsync(afterCodes.Headers.Location), KosmoFactory.PortalRedirect);
        Assert.That(callback.Code, Is.Not.Null, "the relying app gets its code");
        var tokens = await app.RedeemAsync(callback.Code!, pkce.Verifier);
        Assert.That(tokens.Status, Is.EqualTo(HttpStatusCode.OK), tokens.Body.ToString());
        var acr = new System.IdentityModel.Tokens.Jwt.JwtSecurityTokenHandler().ReadJwtToken(tokens.IdToken).Claims.Single(c => c.Type == "acr").Value;
        Assert.That(acr, Is.EqualTo("urn:kosmo:acr:mfa:app"), "the code typed at setup proved the app");

        var stored = await TestMembers.WithDbAsync(_factory, db => db.Members.AsNoTracking().SingleAsync(m => m.Id == member.Id));
        Assert.Multiple(() =>
        {
            Assert.That(stored.OtpMethod, Is.EqualTo(OtpMethod.App));
            Assert.That(stored.AppOtpEnabledAt, Is.Not.Null);
            Assert.That(stored.EmailOtpEnabledAt, Is.Null, "mailed codes stay off");
            Assert.That(stored.PasswordMustChange, Is.False);
        });
        Assert.That(await TestMembers.AuditKindsAsync(_factory, "R0007"), Is.SupersetOf(new[]
        {
            AuditKinds.OtpMethodChosen, AuditKinds.PasswordChanged, AuditKinds.AppDeviceAdded, AuditKinds.RecoveryCodesIssued,
        }));
        await _factory.NoticesTriedAsync();
        Assert.That(_factory.Mail.To("r0007@example.jp").Select(m => m.Subject), Has.None.Contain("リカバリーコード"), "enrolling, not news");
    }

    [Test]
    public async Task TheMailedLinkOpenedInTheSameBrowser_ContinuesTowardsTheRelyingApp()
    {
        await TestMembers.AddFromRosterAsync(_factory, "R0014", "123", "14", new DateOnly(1984, 10, 7), "健保 十四郎", "r0014@example.jp");
        var app = TestRelyingApp.Portal(_factory);
        var browser = app.Browser;
        var authorize = await browser.GetAsync(app.AuthorizeUrl(Pkce.Create()));
        var atBirthDate = await LoginAsync(browser, "R0014", "1231419841007", authorize.Headers.Location!.OriginalString);
        var atTerms = await SubmitNextAsync(browser, atBirthDate, new Dictionary<string, string> { ["BirthDate"] = "1984-10-07" });
        var atEmail = await SubmitNextAsync(browser, atTerms, new Dictionary<string, string>(), button: "button[formaction*=Accept]");
        var sent = await SubmitNextAsync(browser, atEmail, new Dictionary<string, string> { ["Email"] = "r0014@example.jp" });
        Assert.That(sent.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await sent.Content.ReadAsStringAsync());
        var link = LinkIn(_factory.Mail.To("r0014@example.jp").Single());

        // The mail app opened the link in this browser: 次へ carries the app's request on.
        var confirmed = await HtmlForm.SubmitAsync(browser, await browser.GetAsync(link), new Dictionary<string, string>());
        var next = (await HtmlForm.ParseAsync(confirmed)).GetElementById("verify-continue")?.GetAttribute("href");
        Assert.That(next, Does.StartWith("/journey/email?returnUrl=%2Fconnect%2Fauthorize"));
        var onward = await browser.GetAsync(next);
        Assert.That(PathOf(onward), Is.EqualTo("/journey/method"));
        Assert.That(onward.Headers.Location!.OriginalString, Does.Contain("returnUrl=%2Fconnect%2Fauthorize"), "still on the way to the app");

        // Opened again on a phone that is not signed in: done, and back to the first screen.
        Assert.That((await HtmlForm.ParseAsync(await _factory.Browser().GetAsync(link))).GetElementById("verify-continue"), Is.Null);

        // Signing out here forgets the app's request with the session: the next person at this PC is not the member.
        var signedOut = await HtmlForm.SubmitAsync(browser, await FollowAsync(browser, onward), new Dictionary<string, string>(), "form.header-sign-out");
        Assert.That(signedOut.Headers.GetValues("Set-Cookie"), Has.Some.StartWith("kosmo_email_return=;"));
    }

    [Test]
    public async Task ReplacingTheInitialPassword_EndsEveryOtherSession_SoNoneFollowsTheMemberIntoTheAuthenticatorSetup()
    {
        var member = await TestMembers.AddFromRosterAsync(_factory, "R0017", "717", "7", new DateOnly(1982, 3, 4));
        await TestMembers.SkipToAsync(_factory, member, JourneyStep.VerifyEmail);
        // Whoever worked the initial password out from the insurance card signs in first, and waits.
        var other = _factory.Browser();
        Assert.That(PathOf(await LoginAsync(other, "R0017", "717719820304")), Is.EqualTo("/journey/email"));

        var browser = _factory.Browser();
        var afterMethod = await SubmitNextAsync(browser, await TestMembers.SignInPastEmailAsync(_factory, browser, "R0017", "717719820304"),
            new Dictionary<string, string> { ["Method"] = nameof(OtpMethod.App) });
        var afterPassword = await SubmitNextAsync(browser, afterMethod,
            new Dictionary<string, string> { ["Password"] = "Kenpo-Kaede-2026", ["Confirmation"] = "Kenpo-Kaede-2026" });

        Assert.That(PathOf(afterPassword), Is.EqualTo("/journey/otp-setup/app"), "the member's own browser goes on");
        Assert.That((await FollowAsync(browser, afterPassword)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(PathOf(await other.GetAsync("/journey/otp-setup/app")), Is.EqualTo("/login"), "the other session sees no key");
        Assert.That(PathOf(await other.GetAsync("/account")), Is.EqualTo("/login"));
        Assert.That(await TestMembers.AuditKindsAsync(_factory, "R0017"), Does.Contain(AuditKinds.SignedOutEverywhere));
    }

    [Test]
    public async Task ANewSignInThatCancelledTheMailedLink_SendsTheNextOneAtOnce_ThenTheCooldownHoldsAgain()
    {
        await TestMembers.AddFromRosterAsync(_factory, "R0023", "823", "3", new DateOnly(1981, 3, 3));
        var first = _factory.Browser();
        var atTerms = await SubmitNextAsync(first, await LoginAsync(first, "R0023", "823319810303"), new Dictionary<string, string> { ["BirthDate"] = "19810303" });
        var atEmail = await SubmitNextAsync(first, atTerms, new Dictionary<string, string>(), button: "button[formaction*=Accept]");
        await SubmitNextAsync(first, atEmail, new Dictionary<string, string> { ["Email"] = "r0023@example.jp" });
        Assert.That(_factory.Mail.To("r0023@example.jp"), Has.Count.EqualTo(1));

        // Signed in again a moment later (the first tab closed): the page says the mailed link no longer works.
        var browser = _factory.Browser();
        var emailPage = await FollowAsync(browser, await LoginAsync(browser, "R0023", "823319810303"));
        Assert.That(ErrorOn(await emailPage.Content.ReadAsStringAsync(), "email-asked-again"), Is.Not.Null);
        await HtmlForm.SubmitAsync(browser, emailPage, new Dictionary<string, string> { ["Email"] = "r0023@example.jp" });
        Assert.That(_factory.Mail.To("r0023@example.jp"), Has.Count.EqualTo(2), "not told to wait for a mail whose link is dead");

        var again = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/journey/email"), new Dictionary<string, string>(), "form[action*=Resend]");
        Assert.That(ErrorOn(await again.Content.ReadAsStringAsync(), "email-send-error"), Does.Contain("秒ほどお待ちのうえ"), "a resend after that waits as ever");
        Assert.That(_factory.Mail.To("r0023@example.jp"), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task ANewSignInAfterTheLinkWasOpened_AlsoSendsTheNextMailToTheSameAddressAtOnce()
    {
        await TestMembers.AddFromRosterAsync(_factory, "R0027", "827", "7", new DateOnly(1982, 7, 27));
        var first = _factory.Browser();
        var atTerms = await SubmitNextAsync(first, await LoginAsync(first, "R0027", "827719820727"), new Dictionary<string, string> { ["BirthDate"] = "19820727" });
        var atEmail = await SubmitNextAsync(first, atTerms, new Dictionary<string, string>(), button: "button[formaction*=Accept]");
        await SubmitNextAsync(first, atEmail, new Dictionary<string, string> { ["Email"] = "r0027@example.jp" });
        // Confirmed on the phone and the method chosen; then logged out before the new password.
        var phone = _factory.Browser();
        await HtmlForm.SubmitAsync(phone, await phone.GetAsync(LinkIn(_factory.Mail.To("r0027@example.jp").Single())), new Dictionary<string, string>());
        var atNewPassword = await SubmitNextAsync(first, await first.GetAsync("/journey/email"), new Dictionary<string, string> { ["Method"] = "Email" });
        Assert.That(PathOf(atNewPassword), Is.EqualTo("/journey/new-password"));

        var browser = _factory.Browser();
        var emailPage = await FollowAsync(browser, await LoginAsync(browser, "R0027", "827719820727"));
        Assert.That(ErrorOn(await emailPage.Content.ReadAsStringAsync(), "email-asked-again"), Is.Not.Null, "the page asks for the address again");
        var sent = await HtmlForm.SubmitAsync(browser, emailPage, new Dictionary<string, string> { ["Email"] = "r0027@example.jp" });

        Assert.That(ErrorOn(await sent.Content.ReadAsStringAsync(), "email-send-error"), Is.Null, "not told to wait after being asked to send it again");
        Assert.That(_factory.Mail.To("r0027@example.jp"), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task SomeoneWhoWentFirstWithTheInitialPassword_LeavesNoMailboxNorMethod_TheMembersSignInAsksForBothAgain()
    {
        var member = await TestMembers.AddFromRosterAsync(_factory, "R0018", "818", "8", new DateOnly(1979, 12, 1), rosterEmail: "r0018@example.jp");
        // Whoever worked 記号+番号+生年月日 out from the insurance card walks up to the new password with their own mailbox.
        var other = _factory.Browser();
        var atTerms = await SubmitNextAsync(other, await LoginAsync(other, "R0018", "818819791201"), new Dictionary<string, string> { ["BirthDate"] = "19791201" });
        var atEmail = await SubmitNextAsync(other, atTerms, new Dictionary<string, string>(), button: "button[formaction*=Accept]");
        await SubmitNextAsync(other, atEmail, new Dictionary<string, string> { ["Email"] = "intruder@example.net" });
        var link = LinkIn(_factory.Mail.To("intruder@example.net").Single());
        await HtmlForm.SubmitAsync(other, await other.GetAsync(link), new Dictionary<string, string>());
        var atNewPassword = await SubmitNextAsync(other, await other.GetAsync("/journey/email"), new Dictionary<string, string> { ["Method"] = "Email" });
        Assert.That(PathOf(atNewPassword), Is.EqualTo("/journey/new-password"));
        // ... earlier that day: the mail cooldown has long passed when the member comes.
        await TestMembers.WithDbAsync(_factory, async db =>
        {
            await db.EmailVerifications.Where(v => v.MemberId == member.Id).ExecuteUpdateAsync(set => set.SetProperty(v => v.SentAt, v => v.SentAt.AddHours(-3)));
            return await db.AuditEvents.Where(a => a.MemberId == member.Id).ExecuteUpdateAsync(set => set.SetProperty(a => a.OccurredAt, a => a.OccurredAt.AddHours(-3)));
        });

        // The member signs in later: the birthdate and terms stay done, the address and method are asked again.
        var browser = _factory.Browser();
        var afterLogin = await LoginAsync(browser, "R0018", "818819791201");
        Assert.That(PathOf(afterLogin), Is.EqualTo("/journey/email"), "not straight to the new password");
        var emailPage = await FollowAsync(browser, afterLogin);
        var emailHtml = await emailPage.Content.ReadAsStringAsync();
        Assert.That(emailHtml, Does.Contain("value=\"r0018@example.jp\"").And.Not.Contain("intruder"),
            "the roster's address is offered, not the one typed before");
        Assert.That(ErrorOn(emailHtml, "email-asked-again"), Does.Contain("メールアドレスの確認をもう一度お願いします"), "and the page says why it asks again");
        var stored = await TestMembers.WithDbAsync(_factory, db => db.Members.AsNoTracking().SingleAsync(m => m.Id == member.Id));
        Assert.Multiple(() =>
        {
            Assert.That(stored.Email, Is.Null);
            Assert.That(stored.EmailVerifiedAt, Is.Null);
            Assert.That(stored.OtpMethod, Is.Null);
            Assert.That(stored.BirthDateConfirmedAt, Is.Not.Null);
        });
        Assert.That(await TestMembers.AuditKindsAsync(_factory, "R0018"), Does.Contain(AuditKinds.InitialPasswordChoicesForgotten));
        Assert.That(PathOf(await other.GetAsync("/journey/email")), Is.EqualTo("/login"),
            "the session left open ends: it cannot verify its mailbox again while the member is on the email page");

        // Walked on in this one sign-in, the choices are the member's own: the first code goes to the member's mailbox.
        await HtmlForm.SubmitAsync(browser, emailPage, new Dictionary<string, string> { ["Email"] = "r0018@example.jp" });
        var phone = _factory.Browser();
        await HtmlForm.SubmitAsync(phone, await phone.GetAsync(LinkIn(_factory.Mail.To("r0018@example.jp").Single())), new Dictionary<string, string>());
        var afterMethod = await SubmitNextAsync(browser, await browser.GetAsync("/journey/email"), new Dictionary<string, string> { ["Method"] = "Email" });
        var afterPassword = await SubmitNextAsync(browser, afterMethod,
            new Dictionary<string, string> { ["Password"] = "Kenpo-Tsubaki-2026", ["Confirmation"] = "Kenpo-Tsubaki-2026" });
        Assert.That(PathOf(afterPassword), Is.EqualTo("/journey/otp"));
        Assert.That(PathOf(await OtpMail.CompleteAsync(_factory, browser, afterPassword, "r0018@example.jp")), Is.EqualTo("/journey/recovery-codes"));
        Assert.That(_factory.Mail.To("intruder@example.net"), Has.Count.EqualTo(1), "only the verification mail it asked for itself");
    }

    [Test]
    public async Task ATypoSpottedRightAfterSending_IsCorrectedAtOnce_WhileTheSameAddressWaitsOutTheCooldown()
    {
        var (browser, emailPage) = await AtTheEmailStepAsync("R0020", "920", "20", new DateOnly(1983, 3, 3));
        Assert.That(ErrorOn(await emailPage.Content.ReadAsStringAsync(), "email-asked-again"), Is.Null, "nothing was put away: no notice");
        await HtmlForm.SubmitAsync(browser, emailPage, new Dictionary<string, string> { ["Email"] = "r0020@exmaple.jp" });
        async Task<HttpResponseMessage> SendToAsync(string address) =>
            await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/journey/email?Change=true"), new Dictionary<string, string> { ["Email"] = address });

        var again = await SendToAsync("r0020@exmaple.jp");
        Assert.That(ErrorOn(await again.Content.ReadAsStringAsync(), "email-send-error"), Does.Contain("メールを送信したばかりです"), "the same address waits");
        var corrected = await SendToAsync("r0020@example.jp");
        Assert.That(corrected.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await corrected.Content.ReadAsStringAsync());
        Assert.That(_factory.Mail.To("r0020@example.jp"), Has.Count.EqualTo(1), "the corrected address gets its mail at once");
        Assert.That(_factory.Mail.To("r0020@exmaple.jp"), Has.Count.EqualTo(1));

        // Once per cooldown: back and forth, or the same mailbox in capitals, waits like any resend.
        foreach (var address in new[] { "r0020@exmaple.jp", "R0020@EXAMPLE.jp", "r0020@example.org" })
        {
            Assert.That(ErrorOn(await (await SendToAsync(address)).Content.ReadAsStringAsync(), "email-send-error"), Does.Contain("メールを送信したばかりです"), address);
        }
    }

    /// <summary>A roster member signed in with the initial password, birthdate and terms done: on the email page.</summary>
    private async Task<(HttpClient Browser, HttpResponseMessage EmailPage)> AtTheEmailStepAsync(string userId, string symbol, string number, DateOnly birthDate)
    {
        var member = await TestMembers.AddFromRosterAsync(_factory, userId, symbol, number, birthDate);
        await TestMembers.SkipToAsync(_factory, member, JourneyStep.VerifyEmail);
        var browser = _factory.Browser();
        var emailPage = await FollowAsync(browser, await LoginAsync(browser, userId, symbol + number + birthDate.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture)));
        return (browser, emailPage);
    }

    [Test]
    public async Task TheMailedLink_OpensInTheLanguageOfThePageThatSentIt()
    {
        var (browser, emailPage) = await AtTheEmailStepAsync("R0021", "921", "21", new DateOnly(1983, 4, 4));
        var english = await HtmlForm.SubmitAsync(browser, emailPage, new Dictionary<string, string> { ["culture"] = "en" }, "form.language-switch");
        await HtmlForm.SubmitAsync(browser, await browser.GetAsync(english.Headers.Location), new Dictionary<string, string> { ["Email"] = "r0021@example.jp" });

        // Opened on the phone, which has no language cookie.
        var link = System.Text.RegularExpressions.Regex.Match(_factory.Mail.To("r0021@example.jp").Single().Text, @"http://localhost/journey/email/verify\?\S+").Value;
        Assert.That(link, Does.EndWith("&ui_locales=en"));
        var phone = _factory.Browser();
        var page = await phone.GetAsync(link);
        Assert.That(await page.Content.ReadAsStringAsync(), Does.Contain("<html lang=\"en\""));
        var confirmed = await HtmlForm.SubmitAsync(phone, page, new Dictionary<string, string>());
        Assert.That(await confirmed.Content.ReadAsStringAsync(), Does.Contain("<html lang=\"en\"").And.Contain("is confirmed"));
    }

    [Test]
    public async Task ALinkMailedInAnEarlierSignInWithTheInitialPassword_StopsWorkingAtTheNextSignIn()
    {
        await TestMembers.AddFromRosterAsync(_factory, "R0019", "919", "9", new DateOnly(1981, 2, 3));
        var other = _factory.Browser();
        var atTerms = await SubmitNextAsync(other, await LoginAsync(other, "R0019", "919919810203"), new Dictionary<string, string> { ["BirthDate"] = "19810203" });
        var atEmail = await SubmitNextAsync(other, atTerms, new Dictionary<string, string>(), button: "button[formaction*=Accept]");
        await SubmitNextAsync(other, atEmail, new Dictionary<string, string> { ["Email"] = "intruder19@example.net" });
        var link = LinkIn(_factory.Mail.To("intruder19@example.net").Single());

        var browser = _factory.Browser();
        Assert.That(PathOf(await LoginAsync(browser, "R0019", "919919810203")), Is.EqualTo("/journey/email"));

        var opened = await other.GetAsync(link);
        Assert.That(await opened.Content.ReadAsStringAsync(), Does.Contain("この確認リンクは無効です"));
        Assert.That(PathOf(await browser.GetAsync("/journey/email")), Is.EqualTo("(no redirect: OK)"), "the member is still asked for an address");
    }

    [Test]
    public async Task AMemberWhoLogsOutMidJourney_LandsOnTheSameStepAtTheNextLogin()
    {
        await TestMembers.AddFromRosterAsync(_factory, "R0002", "200", "1", new DateOnly(1990, 1, 31));
        var browser = _factory.Browser();
        var afterLogin = await LoginAsync(browser, "R0002", "200119900131");
        var afterBirthDate = await SubmitNextAsync(browser, afterLogin, new Dictionary<string, string> { ["BirthDate"] = "19900131" });
        Assert.That(PathOf(afterBirthDate), Is.EqualTo("/journey/terms"));

        var home = await browser.GetAsync("/");
        Assert.That(PathOf(home), Is.EqualTo("/journey/terms"), "the home page sends a member on to the step left");
        // The ログアウト button every page carries for a signed-in member, here on the email step.
        var emailPage = await SubmitNextAsync(browser, afterBirthDate, new Dictionary<string, string>(), button: "button[formaction*=Accept]");
        Assert.That(PathOf(emailPage), Is.EqualTo("/journey/email"));
        Assert.That(await (await browser.GetAsync("/login")).Content.ReadAsStringAsync(), Does.Not.Contain("header-sign-out"),
            "not on the login page, where a cookie may outlive a session ended elsewhere");
        var signedOut = await HtmlForm.SubmitAsync(browser, await FollowAsync(browser, emailPage), new Dictionary<string, string>(), "form.header-sign-out");
        Assert.That(PathOf(signedOut), Is.EqualTo("/signed-out"));
        Assert.That(PathOf(await browser.GetAsync("/journey/email")), Is.EqualTo("/login"), "signed out");
        Assert.That(await (await browser.GetAsync("/login")).Content.ReadAsStringAsync(), Does.Not.Contain("header-sign-out"), "no sign-out for no one");

        Assert.That(PathOf(await LoginAsync(browser, "R0002", "200119900131")), Is.EqualTo("/journey/email"), "birthdate and terms are not asked again");
    }

    [Test]
    public async Task AnEmailMemberWhoLogsOutAfterTheNewPassword_AsTheManualDoesAt11_ComesBackToTheCodePage_AndTheCodeMailedBeforeStillWorks()
    {
        await TestMembers.AddFromRosterAsync(_factory, "R0026", "260", "26", new DateOnly(1980, 2, 6));
        await TestMembers.WithDbAsync(_factory, db => db.Members.Where(m => m.UserId == "R0026").ExecuteUpdateAsync(set => set
            .SetProperty(m => m.BirthDateConfirmedAt, DateTimeOffset.UtcNow).SetProperty(m => m.AcceptedTermsVersion, "2026-04-01")));
        var browser = _factory.Browser();
        var atNewPassword = await TestMembers.SignInPastEmailAsync(_factory, browser, "R0026", "2602619800206", method: Kosmo.Idp.Members.OtpMethod.Email);
        var atCode = await SubmitNextAsync(browser, atNewPassword, new Dictionary<string, string> { ["Password"] = "Own-Pass-2026", ["Confirmation"] = "Own-Pass-2026" });
        Assert.That(PathOf(atCode), Is.EqualTo("/journey/otp"));
        var codePage = await FollowAsync(browser, atCode);
        var mailed = OtpMail.LatestCode(_factory, "r0026@example.jp");

        // The manual's [11]: ログアウト, then the member signs in again with the new password.
        Assert.That(PathOf(await HtmlForm.SubmitAsync(browser, codePage, new Dictionary<string, string>(), "form.header-sign-out")), Is.EqualTo("/signed-out"));
        var again = await LoginAsync(browser, "R0026", "Own-Pass-2026");

        Assert.That(PathOf(again), Is.EqualTo("/journey/otp"), "the same place: the code page");
        var page = await browser.GetAsync("/journey/otp");
        Assert.That(_factory.Mail.To("r0026@example.jp").Count(m => m.Subject.Contains("ワンタイムパスワード", StringComparison.Ordinal)), Is.EqualTo(1),
            "the code mailed a moment ago still stands: no second mail to tell apart");
        Assert.That(PathOf(await HtmlForm.SubmitAsync(browser, page, new Dictionary<string, string> { ["Code"] = mailed }, "#otp-form")), Is.EqualTo("/journey/recovery-codes"));
    }

    [Test]
    public async Task AMemberCannotSkipAhead_EveryJourneyPageSendsThemToTheirOwnNextStep()
    {
        await TestMembers.AddFromRosterAsync(_factory, "R0003", "300", "2", new DateOnly(1975, 5, 5));
        Assert.That(PathOf(await _factory.Browser().GetAsync("/journey/new-password")), Is.EqualTo("/login"), "no session");

        var browser = _factory.Browser();
        await LoginAsync(browser, "R0003", "300219750505");
        foreach (var page in new[] { "/journey/terms", "/journey/email", "/journey/method", "/journey/new-password" })
        {
            Assert.That(PathOf(await browser.GetAsync(page)), Is.EqualTo("/journey/birthdate"), page);
        }
    }

    [Test]
    public async Task ANewTermsVersion_BringsBackOnlyTheTermsStep()
    {
        var member = await TestMembers.AddAsync(_factory, "R0004", "Done-Member-2026");
        await TestMembers.WithDbAsync(_factory, db => db.Members.Where(m => m.Id == member.Id)
            .ExecuteUpdateAsync(set => set.SetProperty(m => m.AcceptedTermsVersion, "2025-04-01")));
        var app = TestRelyingApp.Portal(_factory);
        var pkce = Pkce.Create();
        var authorize = await app.Browser.GetAsync(app.AuthorizeUrl(pkce));
        var afterPassword = await LoginAsync(app.Browser, "R0004", "Done-Member-2026", authorize.Headers.Location!.OriginalString);
        var afterLogin = await OtpMail.CompleteAsync(_factory, app.Browser, afterPassword, "r0004@example.jp");
        Assert.That(PathOf(afterLogin), Is.EqualTo("/journey/terms"), "the second factor first, then the new terms");

        // A page opened before the society published this version agrees to the old text: nothing is recorded, and the page says why.
        var stale = await SubmitNextAsync(app.Browser, afterLogin, new Dictionary<string, string> { ["version"] = "2025-04-01" }, "button[formaction*=Accept]");
        Assert.That(stale.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(ErrorOn(await stale.Content.ReadAsStringAsync(), "terms-changed"), Does.Contain("利用規約が改定されました"));
        Assert.That(await TestMembers.WithDbAsync(_factory, db => db.Members.Where(m => m.Id == member.Id).Select(m => m.AcceptedTermsVersion).SingleAsync()),
            Is.EqualTo("2025-04-01"));
        // A post naming no version records nothing either, and claims no revision.
        var unnamed = await SubmitNextAsync(app.Browser, afterLogin, new Dictionary<string, string> { ["version"] = "" }, "button[formaction*=Accept]");
        Assert.That(unnamed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await unnamed.Content.ReadAsStringAsync(), Does.Not.Contain("terms-changed"));

        var afterTerms = await SubmitNextAsync(app.Browser, afterLogin, new Dictionary<string, string>(), "button[formaction*=Accept]");
        Assert.That(PathOf(afterTerms), Is.EqualTo("/connect/authorize"), "straight back to the app: nothing else was asked");
        var callback = AuthorizationResponse.From(await app.Browser.GetAsync(afterTerms.Headers.Location), KosmoFactory.PortalRedirect);
        Assert.That(callback.Code, Is.Not.Null);
    }

    [Test]
    public async Task DecliningTheTerms_SignsTheMemberOut_AndTheNextLoginAsksAgain()
    {
        var member = await TestMembers.AddFromRosterAsync(_factory, "R0005", "500", "5", new DateOnly(1960, 12, 1));
        var browser = _factory.Browser();
        var afterLogin = await LoginAsync(browser, "R0005", "500519601201");
        var afterBirthDate = await SubmitNextAsync(browser, afterLogin, new Dictionary<string, string> { ["BirthDate"] = "1960年12月1日" });
        var declined = await SubmitNextAsync(browser, afterBirthDate, new Dictionary<string, string>(), "button[formaction*=Decline]");
        Assert.That(declined.Headers.Location!.OriginalString, Is.EqualTo("/signed-out?reason=terms-declined"));
        var signedOut = await (await FollowAsync(browser, declined)).Content.ReadAsStringAsync();
        Assert.That(signedOut, Does.Contain("利用規約に同意いただけないため"));
        Assert.That(PathOf(await browser.GetAsync("/journey/terms")), Is.EqualTo("/login"), "the session ended");

        Assert.That(PathOf(await LoginAsync(browser, "R0005", "500519601201")), Is.EqualTo("/journey/terms"));
        var stored = await TestMembers.WithDbAsync(_factory, db => db.Members.AsNoTracking().SingleAsync(m => m.Id == member.Id));
        Assert.That(stored.AcceptedTermsVersion, Is.Null);
        var declines = await TestMembers.WithDbAsync(_factory, db => db.AuditEvents.CountAsync(a => a.MemberId == member.Id && a.Kind == AuditKinds.TermsDeclined));
        Assert.That(declines, Is.EqualTo(1));
    }

    [Test]
    public async Task AfterDecliningTheTerms_SigningInAgain_GoesBackToTheAppsSignIn()
    {
        await TestMembers.AddFromRosterAsync(_factory, "R0022", "502", "2", new DateOnly(1961, 1, 2));
        var app = TestRelyingApp.Portal(_factory);
        var authorize = await app.Browser.GetAsync(app.AuthorizeUrl(Pkce.Create()));
        var afterLogin = await LoginAsync(app.Browser, "R0022", "502219610102", authorize.Headers.Location!.OriginalString);
        var afterBirthDate = await SubmitNextAsync(app.Browser, afterLogin, new Dictionary<string, string> { ["BirthDate"] = "1961-01-02" });
        var declined = await SubmitNextAsync(app.Browser, afterBirthDate, new Dictionary<string, string>(), "button[formaction*=Decline]");

        Assert.That(declined.Headers.Location!.OriginalString, Does.StartWith("/signed-out?reason=terms-declined&returnUrl="), afterBirthDate.Headers.Location?.OriginalString);
        var signedOut = await HtmlForm.ParseAsync(await FollowAsync(app.Browser, declined));
        var again = signedOut.GetElementById("sign-in-again")!.GetAttribute("href")!;
        Assert.That(again, Does.StartWith("/login?returnUrl=%2Fconnect%2Fauthorize"), "the member changed their mind: back to the app's sign-in");
        Assert.That(PathOf(await LoginAsync(app.Browser, "R0022", "502219610102", again)), Is.EqualTo("/journey/terms"));
    }

    [Test]
    public async Task JourneyForms_RefuseAPostWithoutTheAntiforgeryToken()
    {
        await TestMembers.AddFromRosterAsync(_factory, "R0006", "600", "6", new DateOnly(1981, 3, 3));
        var browser = _factory.Browser();
        await LoginAsync(browser, "R0006", "600619810303");
        var forged = await browser.PostAsync("/journey/birthdate", new FormUrlEncodedContent(new Dictionary<string, string> { ["BirthDate"] = "19810303" }));
        Assert.That(forged.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var stored = await TestMembers.WithDbAsync(_factory, db => db.Members.AsNoTracking().SingleAsync(m => m.UserId == "R0006"));
        Assert.That(stored.BirthDateConfirmedAt, Is.Null);
    }

    private static async Task<bool> StatusAsync(HttpClient browser)
    {
        var status = await browser.GetAsync("/journey/email?handler=Status");
        Assert.That(status.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return System.Text.Json.JsonDocument.Parse(await status.Content.ReadAsStringAsync()).RootElement.GetProperty("moveOn").GetBoolean();
    }

    private static async Task<Dictionary<string, string>> HiddenFieldsAsync(HttpResponseMessage page)
    {
        var document = await HtmlForm.ParseAsync(page);
        var token = document.QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        return new Dictionary<string, string> { ["__RequestVerificationToken"] = token };
    }
}
