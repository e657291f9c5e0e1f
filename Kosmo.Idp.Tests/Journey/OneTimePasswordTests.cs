using System.Net;
using Kosmo.Idp.Members;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OtpNet;
using static Kosmo.Idp.Tests.Journey.JourneySteps;

namespace Kosmo.Idp.Tests.Journey;

/// <summary>
/// Manual section 2: setting up and using one-time passwords by app (TOTP, codes computed from
/// the secret the QR code carries) and by mail, and every way a code is refused. The service's
/// clock is a fake, so a test can move to the next 30-second step instead of waiting for it.
/// </summary>
public sealed class OneTimePasswordTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private KosmoFactory _factory = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _factory = await KosmoFactory.StartAsync(services: s => s.AddSingleton<TimeProvider>(_clock));

    [OneTimeTearDown]
    public async Task StopAsync() => await _factory.DisposeAsync();

    [Test]
    public async Task AppSetup_QrCodeCarriesAStandardTotpKey_AndACodeTypedWithASpaceEnrollsTheDevice()
    {
        var app = TestRelyingApp.Portal(_factory);
        await AddAppMemberAsync("T0001");
        var pkce = Pkce.Create();
        var authorize = await app.Browser.GetAsync(app.AuthorizeUrl(pkce));
        var afterLogin = await LoginAsync(app.Browser, "T0001", "Totp-Member-2026", authorize.Headers.Location!.OriginalString);
        Assert.That(PathOf(afterLogin), Is.EqualTo("/journey/otp-setup/app"));
        var setup = await FollowAsync(app.Browser, afterLogin);
        var html = await setup.Content.ReadAsStringAsync();
        Assert.That(html, Does.Contain("スキャンできませんか?").And.Contain("全てのデバイスからサインアウトする（この端末を除く）").And.Contain("デバイス名"));

        // The QR code in the page and the downloaded PNG carry the same otpauth URI.
        var shown = QrCodes.Decode(await QrAsync(app.Browser, setup));
        var uri = new Uri(shown);
        var downloadUrl = (await HtmlForm.ParseAsync(setup)).QuerySelector("#otp-qr-download")!.GetAttribute("href")!;
        var download = await app.Browser.GetAsync(downloadUrl);
        Assert.That(download.Content.Headers.ContentDisposition?.FileName?.Trim('"'), Is.EqualTo("kosmo-web-otp.png"));
        Assert.That(QrCodes.Decode(await QrAsync(app.Browser, setup, download: true)), Is.EqualTo(shown));
        Assert.That(uri.Scheme + "://" + uri.Host, Is.EqualTo("otpauth://totp"));
        Assert.That(Uri.UnescapeDataString(uri.AbsolutePath), Is.EqualTo("/KOSMO Web:T0001"));
        var query = QueryHelpers.ParseQuery(uri.Query);
        Assert.That((string?)query["issuer"], Is.EqualTo("KOSMO Web"));
        Assert.That(((string?)query["algorithm"], (string?)query["digits"], (string?)query["period"]), Is.EqualTo(("SHA1", "6", "30")));
        var secret = (string)query["secret"]!;
        Assert.That(Base32Encoding.ToBytes(secret), Has.Length.EqualTo(20), "160-bit secret");

        // The key shown behind "スキャンできませんか?" is the same secret, in groups of four.
        var shownKey = ErrorOn(html, "otp-key")!;
        Assert.That(shownKey.Replace(" ", ""), Is.EqualTo(secret));
        Assert.That(shownKey.Split(' '), Has.All.Length.LessThanOrEqualTo(4));
        Assert.That(ErrorOn(html, "device-hint"), Does.Contain("50文字以内"), "the name's limit is said before a code is spent on a name too long");

        var code = AuthenticatorApp.CodeAt(secret, _clock.GetUtcNow());
        var enrolled = await HtmlForm.SubmitAsync(app.Browser, setup, new Dictionary<string, string>
        {
            ["Code"] = code[..3] + " " + code[3..],
            ["DeviceName"] = "私のiPhone",
        }, "#otp-setup-form");
        Assert.That(PathOf(enrolled), Is.EqualTo("/journey/recovery-codes"), await enrolled.Content.ReadAsStringAsync());

        var codesPage = await FollowAsync(app.Browser, enrolled);
        var codes = await RecoveryCodesOnAsync(codesPage);
        Assert.That(codes, Has.Count.EqualTo(10).And.All.Match("^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$"));
        Assert.That(await RecoveryCodesOnAsync(await app.Browser.GetAsync("/journey/recovery-codes")), Is.EqualTo(codes),
            "a reload shows the set being copied down, not a new one");
        Assert.That(ErrorOn(await codesPage.Content.ReadAsStringAsync(), "recovery-replaced"), Is.Null, "the first set replaces nothing");
        _clock.Advance(TimeSpan.FromMinutes(16));
        Assert.That(PathOf(await app.Browser.GetAsync("/journey/recovery-codes")), Is.EqualTo("/journey/confirm"),
            "once the recent sign-in has passed, live codes are shown again only after 本人確認 (AccountTests shows the same set then)");
        var done = await HtmlForm.SubmitAsync(app.Browser, codesPage, new Dictionary<string, string>());
        var callback = AuthorizationResponse.From(await app.Browser.GetAsync(done.Headers.Location), KosmoFactory.PortalRedirect);
        var tokens = await app.RedeemAsync(callback.Code!, pkce.Verifier);
        var idToken = new System.IdentityModel.Tokens.Jwt.JwtSecurityTokenHandler().ReadJwtToken(tokens.IdToken);
        Assert.That(idToken.Claims.Where(c => c.Type == "amr").Select(c => c.Value), Is.EquivalentTo(new[] { "pwd", "otp", "mfa" }));

        var device = await TestMembers.WithDbAsync(_factory, db => db.TotpDevices.AsNoTracking().SingleAsync(d => d.ConfirmedAt != null && d.Name == "私のiPhone"));
        Assert.That(device.ProtectedSecret, Does.Not.Contain(secret), "the secret is stored encrypted");
        var storedCodes = await TestMembers.WithDbAsync(_factory, db => db.RecoveryCodes.AsNoTracking().Where(c => c.MemberId == device.MemberId).Select(c => c.CodeHash).ToListAsync());
        var plainHashes = codes.Select(c => System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(c))).ToList();
        Assert.That(storedCodes.Any(stored => plainHashes.Any(plain => plain.SequenceEqual(stored))), Is.False,
            "recovery codes are not stored as a plain hash, which 2^40 guesses would reverse");
    }

    [Test]
    public async Task SigningOutFromAllDevicesWhileAddingTheApp_EndsTheOtherSessions_AndKeepsThisOne()
    {
        await AddAppMemberAsync("T0009");
        var other = _factory.Browser();
        await LoginAsync(other, "T0009", "Totp-Member-2026");
        var browser = _factory.Browser();
        await LoginAsync(browser, "T0009", "Totp-Member-2026");
        var setup = await browser.GetAsync("/journey/otp-setup/app");
        var secret = await AuthenticatorApp.ScanAsync(browser, setup);
        var enrolled = await HtmlForm.SubmitAsync(browser, setup, new Dictionary<string, string>
        {
            ["Code"] = AuthenticatorApp.CodeAt(secret, _clock.GetUtcNow()),
            ["SignOutEverywhere"] = "true",
        }, "#otp-setup-form");

        Assert.That(PathOf(enrolled), Is.EqualTo("/journey/recovery-codes"));
        Assert.That(PathOf(await browser.GetAsync("/")), Is.EqualTo("/journey/recovery-codes"), "this browser stays signed in");
        Assert.That(PathOf(await other.GetAsync("/journey/otp-setup/app")), Is.EqualTo("/login"), "the other browser is signed out");
        Assert.That(await TestMembers.AuditKindsAsync(_factory, "T0009"), Does.Contain(AuditKinds.SignedOutEverywhere));
    }

    [Test]
    public async Task ARelyingAppAskingForAnApp_MakesAnEmailOnlyMemberAddOne_AndItsTokensSaySo()
    {
        await TestMembers.AddAsync(_factory, "T0011", "Mail-Member-2026");
        var app = TestRelyingApp.Portal(_factory);
        var pkce = Pkce.Create();
        var demand = new Dictionary<string, string?> { ["acr_values"] = "urn:kosmo:acr:mfa:app" };
        var authorize = await app.Browser.GetAsync(app.AuthorizeUrl(pkce, demand));
        var afterPassword = await LoginAsync(app.Browser, "T0011", "Mail-Member-2026", authorize.Headers.Location!.OriginalString);
        var afterEmailCode = await OtpMail.CompleteAsync(_factory, app.Browser, afterPassword, "t0011@example.jp");
        Assert.That(PathOf(afterEmailCode), Is.EqualTo("/journey/otp-setup/app"), "email is not enough for this app");

        var setup = await FollowAsync(app.Browser, afterEmailCode);
        Assert.That(ErrorOn(await setup.Content.ReadAsStringAsync(), "otp-app-required"), Is.Not.Null);
        var secret = await AuthenticatorApp.ScanAsync(app.Browser, setup);
        var enrolled = await HtmlForm.SubmitAsync(app.Browser, setup, new Dictionary<string, string> { ["Code"] = AuthenticatorApp.CodeAt(secret, _clock.GetUtcNow()) }, "#otp-setup-form");
        Assert.That(PathOf(enrolled), Is.EqualTo("/connect/authorize"));
        var callback = AuthorizationResponse.From(await app.Browser.GetAsync(enrolled.Headers.Location), KosmoFactory.PortalRedirect);
        var tokens = await app.RedeemAsync(callback.Code!, pkce.Verifier);
        Assert.That(AcrOf(tokens.IdToken!), Is.EqualTo("urn:kosmo:acr:mfa:app"));
        var refreshed = await app.RefreshAsync(tokens.RefreshToken!);
        Assert.That(AcrOf(refreshed.IdToken!), Is.EqualTo("urn:kosmo:acr:mfa:app"), "a refresh keeps what the sign-in proved");

        // Next time the app is asked for straight away, and nothing else is offered.
        var again = TestRelyingApp.Portal(_factory);
        var second = await again.Browser.GetAsync(again.AuthorizeUrl(Pkce.Create(), demand));
        var toOtp = await LoginAsync(again.Browser, "T0011", "Mail-Member-2026", second.Headers.Location!.OriginalString);
        var otpPage = await (await FollowAsync(again.Browser, toOtp)).Content.ReadAsStringAsync();
        Assert.That(ErrorOn(otpPage, "otp-app-required"), Is.Not.Null);
        Assert.That(otpPage, Does.Not.Contain("mode=email").And.Not.Contain("mode=recovery"));
    }

    [TestCase("T0149", "urn:kosmo:acr:mfa urn:kosmo:acr:mfa:app")]
    [TestCase("T0150", "urn:kosmo:acr:mfa:app urn:kosmo:acr:mfa")]
    public async Task AnAcrValuesListThatAlsoNamesTheMailedCodesLevel_IsMetByAMailedCode(string userId, string acrValues)
    {
        await TestMembers.AddAsync(_factory, userId, "Mail-Member-2026");
        var app = TestRelyingApp.Portal(_factory);
        var pkce = Pkce.Create();
        var authorize = await app.Browser.GetAsync(app.AuthorizeUrl(pkce, new Dictionary<string, string?> { ["acr_values"] = acrValues }));
        var afterPassword = await LoginAsync(app.Browser, userId, "Mail-Member-2026", authorize.Headers.Location!.OriginalString);
        var afterEmailCode = await OtpMail.CompleteAsync(_factory, app.Browser, afterPassword, userId.ToLowerInvariant() + "@example.jp");

        Assert.That(PathOf(afterEmailCode), Is.EqualTo("/connect/authorize"), "the app accepts either level: no app setup forced on the member");
        var callback = AuthorizationResponse.From(await app.Browser.GetAsync(afterEmailCode.Headers.Location), KosmoFactory.PortalRedirect);
        var tokens = await app.RedeemAsync(callback.Code!, pkce.Verifier);
        Assert.That(AcrOf(tokens.IdToken!), Is.EqualTo("urn:kosmo:acr:mfa"));
    }

    [Test]
    public async Task WithoutADemand_AnEmailCodeGivesTheMultiFactorAcr()
    {
        await TestMembers.AddAsync(_factory, "T0012", "Mail-Member-2026");
        var app = TestRelyingApp.Portal(_factory);
        var pkce = Pkce.Create();
        var callback = await app.SignInAsync("T0012", "Mail-Member-2026", pkce);
        var tokens = await app.RedeemAsync(callback.Code!, pkce.Verifier);
        Assert.That(AcrOf(tokens.IdToken!), Is.EqualTo("urn:kosmo:acr:mfa"));
    }

    [Test]
    public async Task GoingBackFromTheAppSetup_DuringFirstLogin_ReturnsToTheMethodChoice()
    {
        await AddAppMemberAsync("T0010");
        var browser = _factory.Browser();
        await LoginAsync(browser, "T0010", "Totp-Member-2026");
        var setup = await browser.GetAsync("/journey/otp-setup/app");
        var back = await HtmlForm.SubmitAsync(browser, setup, new Dictionary<string, string>(), "#otp-setup-form", "#otp-setup-back");
        Assert.That(PathOf(back), Is.EqualTo("/journey/method"));
    }

    [Test]
    public async Task LaterLogins_AcceptTheAppsCodeOnce_OneStepBackForDrift_AndNeverAnOlderOne()
    {
        var secret = await EnrolledAppMemberAsync("T0002");

        // Past the step used at enrollment.
        _clock.Advance(TimeSpan.FromSeconds(60));
        var browser = await PasswordOnlyAsync("T0002");
        var old = await SubmitCodeAsync(browser, AuthenticatorApp.CodeAt(secret, _clock.GetUtcNow().AddSeconds(-60)), "app");
        Assert.That(ErrorOn(old, "otp-error"), Does.Contain("正しくありません"), "two steps back is too old");
        var drifted = await SubmitAsync(browser, AuthenticatorApp.CodeAt(secret, _clock.GetUtcNow().AddSeconds(-30)), "app");
        Assert.That(PathOf(drifted), Is.EqualTo("/"), "one step back is accepted");

        var replay = await SubmitCodeAsync(await PasswordOnlyAsync("T0002"), AuthenticatorApp.CodeAt(secret, _clock.GetUtcNow().AddSeconds(-30)), "app");
        Assert.That(ErrorOn(replay, "otp-error"), Does.Contain("すでに使用されています").And.Contain("新しいワンタイムパスワードが表示されるまで"),
            "a code accepted once is never accepted again, and the member is told to wait for the next one");
        var replayAgain = await SubmitCodeAsync(await PasswordOnlyAsync("T0002"), AuthenticatorApp.CodeAt(secret, _clock.GetUtcNow().AddSeconds(-30)), "app");
        Assert.That(ErrorOn(replayAgain, "otp-error"), Does.Contain("すでに使用されています").And.Not.Contain("あと"));
        var failures = await TestMembers.WithDbAsync(_factory, async db =>
        {
            var key = Kosmo.Idp.Journey.AttemptThrottle.SecondFactorKey((await db.Members.SingleAsync(m => m.UserId == "T0002")).Id);
            return await db.SignInThrottles.Where(t => t.NormalizedUserId == key).Select(t => t.FailedCount).SingleOrDefaultAsync();
        });
        Assert.That(failures, Is.Zero, "typing the right code twice is not a guess: nothing counts towards a pause");
        Assert.That(await TestMembers.AuditKindsAsync(_factory, "T0002"), Does.Contain(AuditKinds.OtpAlreadyUsed));

        _clock.Advance(TimeSpan.FromSeconds(30));
        var fullWidth = string.Concat(AuthenticatorApp.CodeAt(secret, _clock.GetUtcNow()).Select(c => (char)(c - '0' + '０')));
        Assert.That(PathOf(await SubmitAsync(await PasswordOnlyAsync("T0002"), fullWidth[..3] + "-" + fullWidth[3..], "app")), Is.EqualTo("/"),
            "full-width digits with a hyphen are the same code");
    }

    [Test]
    public async Task TwoSimultaneousSubmissionsOfOneAppCode_ExactlyOneWins()
    {
        var secret = await EnrolledAppMemberAsync("T0003");
        _clock.Advance(TimeSpan.FromSeconds(30));
        var first = await PasswordOnlyAsync("T0003");
        var second = await PasswordOnlyAsync("T0003");
        var code = AuthenticatorApp.CodeAt(secret, _clock.GetUtcNow());
        var firstPage = await first.GetAsync("/journey/otp?mode=app");
        var secondPage = await second.GetAsync("/journey/otp?mode=app");

        var results = await Task.WhenAll(
            HtmlForm.SubmitAsync(first, firstPage, new Dictionary<string, string> { ["Code"] = code }, "#otp-form"),
            HtmlForm.SubmitAsync(second, secondPage, new Dictionary<string, string> { ["Code"] = code }, "#otp-form"));
        Assert.That(results.Count(r => r.StatusCode == HttpStatusCode.Redirect), Is.EqualTo(1));
        Assert.That(results.Count(r => r.StatusCode == HttpStatusCode.OK), Is.EqualTo(1));
    }

    [Test]
    public async Task TheSameSetupCodeFromTwoTabsAtOnce_SetsUpTheAppOnce_AndNeitherTabIsToldItsKeyIsVoid()
    {
        await AddAppMemberAsync("T0158");
        var browser = _factory.Browser();
        await LoginAsync(browser, "T0158", "Totp-Member-2026");
        var firstTab = await browser.GetAsync("/journey/otp-setup/app");
        var secret = await AuthenticatorApp.ScanAsync(browser, firstTab);
        var secondTab = await browser.GetAsync("/journey/otp-setup/app");
        var code = AuthenticatorApp.CodeAt(secret, _clock.GetUtcNow());

        var answers = await Task.WhenAll(
            HtmlForm.SubmitAsync(browser, firstTab, new Dictionary<string, string> { ["Code"] = code }, "#otp-setup-form"),
            HtmlForm.SubmitAsync(browser, secondTab, new Dictionary<string, string> { ["Code"] = code, ["DeviceName"] = "iPhone" }, "#otp-setup-form"));

        // Each tab goes on, with the session the first left in the browser (the one that waited does not put its own back).
        foreach (var answer in answers)
        {
            Assert.That(answer.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await answer.Content.ReadAsStringAsync());
            var page = answer;
            while (page.StatusCode == HttpStatusCode.Redirect)
            {
                page = await FollowAsync(browser, page);
            }

            Assert.That(page.RequestMessage!.RequestUri!.AbsolutePath, Is.EqualTo("/journey/recovery-codes"), "not asked for a code from the app just set up");
            Assert.That(await page.Content.ReadAsStringAsync(), Does.Not.Contain("前回表示したキー"), "no tab is told its key is void");
        }

        var devices = await TestMembers.WithDbAsync(_factory, async db =>
        {
            var id = await db.Members.Where(m => m.UserId == "T0158").Select(m => m.Id).SingleAsync();
            return await db.TotpDevices.Where(d => d.MemberId == id).Select(d => d.ConfirmedAt != null).ToListAsync();
        });
        Assert.That(devices, Is.EqualTo(new[] { true }), "one app, and no new key left unconfirmed behind it");
    }

    [Test]
    public async Task RepeatedWrongAppCodes_PauseTheMember_AndARecoveryCodeWorksOnce()
    {
        var secret = await EnrolledAppMemberAsync("T0004", keepCodes: true);
        var browser = await PasswordOnlyAsync("T0004");
        var messages = new List<string?>();
        for (var i = 0; i < 6; i++)
        {
            messages.Add(ErrorOn(await SubmitCodeAsync(browser, "000000", "app"), "otp-error"));
        }

        // The pause is announced before it comes, as the mailed code's page counts down its tries.
        Assert.That(messages[0], Does.Contain("正しくありません").And.Contain("あと4回間違えると"));
        Assert.That(messages[0]!.Contains("。 ", StringComparison.Ordinal), Is.False, "Japanese sentences run on without a half-width space");
        Assert.That(messages[3], Does.Contain("あと1回間違えると"));
        Assert.That(messages[4], Does.Contain("次に間違えると、しばらく入力できなくなります"));
        Assert.That(messages[5], Does.Contain("分間入力できません"));
        _clock.Advance(TimeSpan.FromSeconds(30));
        var blocked = await SubmitCodeAsync(browser, AuthenticatorApp.CodeAt(secret, _clock.GetUtcNow()), "app");
        Assert.That(ErrorOn(blocked, "otp-error"), Does.Contain("分間入力できません"), "even the right code waits");
        _clock.Advance(TimeSpan.FromMinutes(2));

        var recovery = _recoveryCodes["T0004"];
        var signedIn = await SubmitAsync(await PasswordOnlyAsync("T0004"), recovery[0].ToLowerInvariant().Replace("-", " "), "recovery");
        Assert.That(PathOf(signedIn), Is.EqualTo("/"));
        await _factory.NoticesTriedAsync();
        Assert.That(_factory.Mail.To("t0004@example.jp").Select(m => m.Text), Has.Exactly(1).Contain("リカバリーコードを使った KOSMO Web へのログインがありました").And.Contain("すぐにパスワードを変更し"),
            "a code from a paper someone else may have found: the member hears of its use");
        var reused = await SubmitCodeAsync(await PasswordOnlyAsync("T0004"), recovery[0], "recovery");
        Assert.That(ErrorOn(reused, "otp-error"), Does.Contain("すでに使用されています"));
        var kinds = await TestMembers.AuditKindsAsync(_factory, "T0004");
        Assert.That(kinds, Does.Contain(AuditKinds.OtpLockedOut).And.Contain(AuditKinds.RecoveryCodeUsed));
    }

    [Test]
    public async Task WrongCodesUpToAPause_AfterTheRightPassword_AreMailedToTheMember_OnceAnHour()
    {
        await EnrolledAppMemberAsync("T0157");
        const string Warning = "ワンタイムパスワード（またはリカバリーコード）が続けて間違って入力された";
        async Task PauseAsync()
        {
            var browser = await PasswordOnlyAsync("T0157");
            for (var i = 0; i < 6; i++)
            {
                await SubmitCodeAsync(browser, "000000", "app");
            }
        }

        await PauseAsync();
        await _factory.NoticesTriedAsync();
        var mails = _factory.Mail.To("t0157@example.jp").Where(m => m.Text.Contains(Warning, StringComparison.Ordinal)).ToList();
        Assert.That(mails, Has.Count.EqualTo(1), "whoever typed the password may not be the member");
        Assert.That(mails[0].Subject, Does.Contain("ワンタイムパスワードの誤入力"));
        Assert.That(mails[0].Text, Does.Contain("すぐにパスワードを変更し").And.Contain("wrong one-time passwords (or recovery codes)"));

        // Paused again within the hour: no second mail, so wrong codes cannot flood the member's mailbox.
        _clock.Advance(TimeSpan.FromMinutes(30));
        await PauseAsync();
        await _factory.NoticesTriedAsync();
        Assert.That(_factory.Mail.To("t0157@example.jp").Count(m => m.Text.Contains(Warning, StringComparison.Ordinal)), Is.EqualTo(1));

        // An hour after the warning (not after the last pause): told again, however close the pauses come.
        _clock.Advance(TimeSpan.FromMinutes(31));
        await PauseAsync();
        await _factory.NoticesTriedAsync();
        Assert.That(_factory.Mail.To("t0157@example.jp").Count(m => m.Text.Contains(Warning, StringComparison.Ordinal)), Is.EqualTo(2), "a pause in a later hour is told again");
    }

    [Test]
    public async Task ASetRunningOutAtARecoveryCodeSignIn_IsReplaced_AndTheMemberIsMailedOfEachSignIn_NotOfTheReplacement()
    {
        await EnrolledAppMemberAsync("T0156", keepCodes: true);
        var codes = _recoveryCodes["T0156"];
        HttpClient browser = null!;
        HttpResponseMessage signedIn = null!;
        for (var i = 0; i < 8; i++)
        {
            browser = await PasswordOnlyAsync("T0156");
            signedIn = await SubmitAsync(browser, codes[i], "recovery");
        }

        Assert.That(PathOf(signedIn), Is.EqualTo("/journey/recovery-codes"), "two codes left: a new set before going on");
        Assert.That(await RecoveryCodesOnAsync(await browser.GetAsync("/journey/recovery-codes")), Has.Count.EqualTo(10));
        await _factory.NoticesTriedAsync();
        var mailed = _factory.Mail.To("t0156@example.jp").Select(m => m.Text).ToList();
        Assert.That(mailed.Count(text => text.Contains("リカバリーコードを使った KOSMO Web へのログインがありました", StringComparison.Ordinal)), Is.EqualTo(8));
        Assert.That(mailed, Has.None.Contain("リカバリーコードが新しく発行されました"), "the set a recovery-code sign-in used up is replaced without a second notice");
    }

    [Test]
    public async Task OneCodeFormSentTwiceAtOnce_ByOneBrowser_SignsItInBothTimes_InsteadOfAnErrorAndACookieWithoutTheCode()
    {
        var (browser, code) = await AtTheMailedCodeAsync("T0015");
        var page = await browser.GetAsync("/journey/otp?mode=email");

        var answers = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ =>
            HtmlForm.SubmitAsync(browser, page, new Dictionary<string, string> { ["Code"] = code }, "#otp-form")));

        Assert.That(answers.Select(a => (a.StatusCode, a.Headers.Location?.OriginalString)),
            Is.EqualTo(new[] { (HttpStatusCode.Redirect, "/"), (HttpStatusCode.Redirect, "/") }), "a double click gets the first click's answer");
        Assert.That(PathOf(await browser.GetAsync("/journey/otp")), Is.Not.EqualTo("(no redirect: OK)"), "whichever cookie came last, the session has its code");
        Assert.That((await TestMembers.AuditKindsAsync(_factory, "T0015")).Count(k => k == AuditKinds.OtpVerified), Is.EqualTo(1), "one code, verified once");
    }

    [Test]
    public async Task TheCodeFormSentAgain_WithTheCookieFromBeforeTheCode_GetsTheFirstAnswer_ButNotAfterTwoMinutes_NorInAnotherSession()
    {
        await TestMembers.AddAsync(_factory, "T0016", "Mail-Member-2026");
        var browser = _factory.BrowserWithJar(out var cookies);
        Assert.That(PathOf(await LoginAsync(browser, "T0016", "Mail-Member-2026")), Is.EqualTo("/journey/otp"));
        var page = await browser.GetAsync("/journey/otp?mode=email");
        var otherSession = await PasswordOnlyAsync("T0016");
        var otherPage = await otherSession.GetAsync("/journey/otp?mode=email");
        var code = OtpMail.LatestCode(_factory, "t0016@example.jp");
        var beforeTheCode = cookies.Header();

        var first = await HtmlForm.SubmitAsync(browser, page, new Dictionary<string, string> { ["Code"] = code }, "#otp-form");
        Assert.That(first.Headers.Location?.OriginalString, Is.EqualTo("/"));

        // The copy arrives after the first answer, with the cookie the browser had when it was sent.
        var copy = _factory.WithCookies(beforeTheCode);
        var again = await HtmlForm.SubmitAsync(copy, page, new Dictionary<string, string> { ["Code"] = code }, "#otp-form");
        Assert.That(again.Headers.Location?.OriginalString, Is.EqualTo("/"), "the first answer, and a cookie with the code");

        var elsewhere = await HtmlForm.SubmitAsync(otherSession, otherPage, new Dictionary<string, string> { ["Code"] = code }, "#otp-form");
        Assert.That(elsewhere.StatusCode, Is.EqualTo(HttpStatusCode.OK), "another session of the member still needs a code of its own");

        _clock.Advance(RepeatedFormWindow + TimeSpan.FromSeconds(1));
        var late = await HtmlForm.SubmitAsync(copy, page, new Dictionary<string, string> { ["Code"] = code }, "#otp-form");
        Assert.That(late.StatusCode, Is.EqualTo(HttpStatusCode.OK), "an old form later is just a used code");
    }

    [Test]
    public async Task TheAppSetupForm_SentAgainAfterItSignedOutEveryOtherSession_GetsTheFirstAnswer_AndKeepsThisBrowserSignedIn()
    {
        await AddAppMemberAsync("T0144");
        var browser = _factory.BrowserWithJar(out var cookies);
        await LoginAsync(browser, "T0144", "Totp-Member-2026");
        var setup = await browser.GetAsync("/journey/otp-setup/app");
        var secret = await AuthenticatorApp.ScanAsync(browser, setup);
        var fields = new Dictionary<string, string> { ["Code"] = AuthenticatorApp.CodeAt(secret, _clock.GetUtcNow()), ["SignOutEverywhere"] = "true" };
        var beforeTheCode = cookies.Header();
        var first = await HtmlForm.SubmitAsync(browser, setup, fields, "#otp-setup-form");
        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));

        var copy = _factory.WithCookies(beforeTheCode);
        var again = await HtmlForm.SubmitAsync(copy, setup, fields, "#otp-setup-form");
        Assert.That(again.Headers.Location, Is.EqualTo(first.Headers.Location), "the first answer, not the login page");

        var session = again.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("kosmo_session=", StringComparison.Ordinal)).Split(';')[0];
        var withIt = _factory.WithCookies(session);
        Assert.That(PathOf(await withIt.GetAsync(again.Headers.Location)), Is.Not.EqualTo("/login"), "the cookie it answers with is signed in, under the new session version");
    }

    [Test]
    public async Task ACopyOfThePasswordOnlyCookie_WithAFormOfItsOwn_GetsNoFirstAnswer_AndStillNeedsACode()
    {
        await TestMembers.AddAsync(_factory, "T0151", "Mail-Member-2026");
        var browser = _factory.BrowserWithJar(out var cookies);
        Assert.That(PathOf(await LoginAsync(browser, "T0151", "Mail-Member-2026")), Is.EqualTo("/journey/otp"));
        var page = await browser.GetAsync("/journey/otp?mode=email");
        var stolen = cookies.Header();
        var passed = await HtmlForm.SubmitAsync(browser, page, new Dictionary<string, string> { ["Code"] = OtpMail.LatestCode(_factory, "t0151@example.jp") }, "#otp-form");
        Assert.That(passed.Headers.Location?.OriginalString, Is.EqualTo("/"));

        // Whoever copied the cookie after the password, before the code, posts a form of their own at once.
        var thief = _factory.WithCookies(stolen);
        var forged = await HtmlForm.SubmitAsync(thief, await thief.GetAsync("/journey/otp?mode=email"), new Dictionary<string, string> { ["Code"] = "000000" }, "#otp-form");
        Assert.That(forged.StatusCode, Is.EqualTo(HttpStatusCode.OK), "a wrong code, not the member's pass replayed");
        Assert.That(PathOf(await _factory.WithSessionFrom(forged, stolen).GetAsync("/account")), Is.EqualTo("/journey/otp"), "still only the password");
    }

    [Test]
    public async Task ACopyOfTheCookieFromBeforeSigningOutEveryOtherDevice_CannotComeBackWithAMadeUpSetupForm()
    {
        await AddAppMemberAsync("T0152");
        var browser = _factory.BrowserWithJar(out var cookies);
        await LoginAsync(browser, "T0152", "Totp-Member-2026");
        var setup = await browser.GetAsync("/journey/otp-setup/app");
        var secret = await AuthenticatorApp.ScanAsync(browser, setup);
        var stolen = cookies.Header();
        var first = await HtmlForm.SubmitAsync(browser, setup,
            new Dictionary<string, string> { ["Code"] = AuthenticatorApp.CodeAt(secret, _clock.GetUtcNow()), ["SignOutEverywhere"] = "true" }, "#otp-setup-form");
        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));

        // The copy, signed out by that, takes a form token from the login page and posts the setup form without a code.
        var thief = _factory.WithCookies(stolen);
        var token = (await HtmlForm.ParseAsync(await thief.GetAsync("/login"))).QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        var forged = await thief.PostAsync("/journey/otp-setup/app", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));

        Assert.That(forged.Headers.Location?.OriginalString, Is.Not.EqualTo(first.Headers.Location?.OriginalString), "not the member's answer replayed");
        Assert.That(PathOf(await _factory.WithSessionFrom(forged, stolen).GetAsync("/account")), Is.EqualTo("/login"), "the copy stays signed out");
    }

    [Test]
    public async Task AMailedCode_IsStoredAsAKeyedHash_ThatACopyOfTheTableCannotBeSearchedWith()
    {
        var member = await TestMembers.AddAsync(_factory, "T0146", "Mail-Member-2026");
        var browser = _factory.Browser();
        Assert.That(PathOf(await LoginAsync(browser, "T0146", "Mail-Member-2026")), Is.EqualTo("/journey/otp"));
        await browser.GetAsync("/journey/otp?mode=email");
        var code = OtpMail.LatestCode(_factory, "t0146@example.jp");

        var challenge = await TestMembers.WithDbAsync(_factory, db => db.EmailOtpChallenges.AsNoTracking().SingleAsync(c => c.MemberId == member.Id));
        // A million codes: a plain hash of the row's own values gives the code away in a second.
        var plain = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(challenge.Id.ToString("N") + ":" + code));
        Assert.That(challenge.CodeHash, Has.Length.EqualTo(32).And.Not.EqualTo(plain));
        Assert.That(PathOf(await SubmitAsync(browser, code, "email")), Is.EqualTo("/"), "the code works");
    }

    [Test]
    public async Task ACodeMailedBeforeTheUpgrade_StoredAsAPlainHash_StillWorksForItsLife()
    {
        var member = await TestMembers.AddAsync(_factory, "T0147", "Mail-Member-2026");
        var browser = _factory.Browser();
        Assert.That(PathOf(await LoginAsync(browser, "T0147", "Mail-Member-2026")), Is.EqualTo("/journey/otp"));
        await browser.GetAsync("/journey/otp?mode=email");
        // As a replica of the release before wrote it: SHA-256 of the row's id and the code.
        const string earlier = "482910";
        await TestMembers.WithDbAsync(_factory, async db =>
        {
            var challenge = await db.EmailOtpChallenges.SingleAsync(c => c.MemberId == member.Id);
            challenge.CodeHash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(challenge.Id.ToString("N") + ":" + earlier));
            return await db.SaveChangesAsync();
        });
        Assert.That(PathOf(await SubmitAsync(browser, earlier, "email")), Is.EqualTo("/"));
    }

    [Test]
    public async Task AnAppSetupLeftUnfinished_ShowsANewKeyAtTheNextSignIn_AndTheKeySeenBeforeNeverWorks()
    {
        await AddAppMemberAsync("T0145");
        var shared = _factory.Browser();
        await LoginAsync(shared, "T0145", "Totp-Member-2026");
        var setup = await shared.GetAsync("/journey/otp-setup/app");
        var seen = await AuthenticatorApp.ScanAsync(shared, setup);
        Assert.That(await AuthenticatorApp.ScanAsync(shared, await shared.GetAsync("/journey/otp-setup/app")), Is.EqualTo(seen), "the same key on reload");
        Assert.That((await HtmlForm.ParseAsync(setup)).GetElementById("otp-key-replaced"), Is.Null, "nothing was replaced yet");
        // Left on a shared PC (or saved as kosmo-web-otp.png); the member finishes the setup later, signed in again.
        var browser = _factory.Browser();
        await LoginAsync(browser, "T0145", "Totp-Member-2026");
        var later = await browser.GetAsync("/journey/otp-setup/app");
        var key = await AuthenticatorApp.ScanAsync(browser, later);
        Assert.That(key, Is.Not.EqualTo(seen));
        Assert.That((await HtmlForm.ParseAsync(later)).GetElementById("otp-key-replaced")?.TextContent, Does.Contain("前回表示したキー（QRコード）は使えなくなりました"),
            "a member who added the old key to an app learns why its codes fail");

        // The member had added the old key to an app before signing in again: its code is refused, with the reason, and not counted.
        var withTheOldKey = await HtmlForm.SubmitAsync(browser, later,
            new Dictionary<string, string> { ["Code"] = AuthenticatorApp.CodeAt(seen, _clock.GetUtcNow()) }, "#otp-setup-form");
        Assert.That(withTheOldKey.StatusCode, Is.EqualTo(HttpStatusCode.OK), "refused");
        Assert.That(ErrorOn(await withTheOldKey.Content.ReadAsStringAsync(), "otp-error"), Does.Contain("前回表示したキー（QRコード）は使えなくなりました"));
        var wrong = AuthenticatorApp.CodeAt(key, _clock.GetUtcNow()) is var right && right[5] == '0' ? right[..5] + "1" : right[..5] + "0";
        var wrongCode = await HtmlForm.SubmitAsync(browser, later, new Dictionary<string, string> { ["Code"] = wrong }, "#otp-setup-form");
        Assert.That(ErrorOn(await wrongCode.Content.ReadAsStringAsync(), "otp-error"), Does.Not.Contain("前回表示したキー"), "a wrong code is a wrong code");

        // The first browser's page, still open on the old key, sends that key's right code: told why, not counted as wrong.
        var stale = await HtmlForm.SubmitAsync(shared, setup,
            new Dictionary<string, string> { ["Code"] = AuthenticatorApp.CodeAt(seen, _clock.GetUtcNow()) }, "#otp-setup-form");
        Assert.That(ErrorOn(await stale.Content.ReadAsStringAsync(), "otp-error"), Does.Contain("前回表示したキー（QRコード）は使えなくなりました"));
        Assert.That(await TestMembers.AuditKindsAsync(_factory, "T0145"), Has.Exactly(1).EqualTo(AuditKinds.OtpFailed), "only the wrong code");
        var enrolled = await HtmlForm.SubmitAsync(browser, later,
            new Dictionary<string, string> { ["Code"] = AuthenticatorApp.CodeAt(key, _clock.GetUtcNow()) }, "#otp-setup-form");
        Assert.That(PathOf(enrolled), Is.EqualTo("/journey/recovery-codes"));
        var devices = await TestMembers.WithDbAsync(_factory, db => db.TotpDevices.Where(d => db.Members.Any(m => m.Id == d.MemberId && m.UserId == "T0145")).ToListAsync());
        Assert.That(devices.Where(d => d.ConfirmedAt != null).Select(d => d.ReplacedAt), Is.EqualTo(new DateTimeOffset?[] { null }),
            "one app set up, with the new key; the abandoned one is never confirmed beside it");

        var oldKeyAtLogin = await SubmitAsync(await PasswordOnlyAsync("T0145"), AuthenticatorApp.CodeAt(seen, _clock.GetUtcNow()), "app");
        Assert.That(PathOf(oldKeyAtLogin), Is.EqualTo("(no redirect: OK)"), "the old key signs no one in");
    }

    private static readonly TimeSpan RepeatedFormWindow = Kosmo.Idp.Journey.RepeatedForm.Window;

    [Test]
    public async Task TheAppSetupFormSentTwiceAtOnce_SetsUpOneApp_AndCountsNoWrongCode()
    {
        await AddAppMemberAsync("T0143");
        var browser = _factory.Browser();
        await LoginAsync(browser, "T0143", "Totp-Member-2026");
        var setup = await browser.GetAsync("/journey/otp-setup/app");
        var secret = await AuthenticatorApp.ScanAsync(browser, setup);
        var code = AuthenticatorApp.CodeAt(secret, _clock.GetUtcNow());

        var answers = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ =>
            HtmlForm.SubmitAsync(browser, setup, new Dictionary<string, string> { ["Code"] = code }, "#otp-setup-form")));

        Assert.That(answers.Select(a => a.StatusCode), Is.EqualTo(new[] { HttpStatusCode.Redirect, HttpStatusCode.Redirect }));
        Assert.That(answers[0].Headers.Location, Is.EqualTo(answers[1].Headers.Location), "both on to the recovery codes");
        var kinds = await TestMembers.AuditKindsAsync(_factory, "T0143");
        Assert.That(kinds.Count(k => k == AuditKinds.AppDeviceAdded), Is.EqualTo(1));
        Assert.That(kinds, Does.Not.Contain(AuditKinds.OtpFailed), "the copy is not a wrong code");
    }

    [Test]
    public async Task ACodePastedWithATabAndInvisibleCharacters_IsAccepted()
    {
        var secret = await EnrolledAppMemberAsync("T0148", keepCodes: true);
        _clock.Advance(TimeSpan.FromSeconds(30));
        var code = AuthenticatorApp.CodeAt(secret, _clock.GetUtcNow());
        var pasted = "\u200B" + code[..3] + "\u00A0" + code[3..] + "\t";
        Assert.That(PathOf(await SubmitAsync(await PasswordOnlyAsync("T0148"), pasted, "app")), Is.EqualTo("/"),
            "a zero-width space, a no-break space and a trailing tab, as a copy from a chat app brings them");
        var recovery = _recoveryCodes["T0148"][0].Replace("-", "\u00AD") + "\r\n";
        Assert.That(PathOf(await SubmitAsync(await PasswordOnlyAsync("T0148"), recovery, "recovery")), Is.EqualTo("/"));
    }

    [Test]
    public async Task CodesTypedWithAJapaneseImesHyphen_AreAccepted_AndABlankRecoveryCodeUsesNoTry()
    {
        var secret = await EnrolledAppMemberAsync("T0141", keepCodes: true);
        var browser = await PasswordOnlyAsync("T0141");
        for (var i = 0; i < 6; i++)
        {
            Assert.That(await SubmitCodeAsync(browser, "   ", "recovery"), Does.Contain("K7QM-4XPD"), "asked for a code of that shape");
        }

        _clock.Advance(TimeSpan.FromSeconds(30));
        var code = AuthenticatorApp.CodeAt(secret, _clock.GetUtcNow());
        Assert.That(PathOf(await SubmitAsync(browser, code[..3] + "ー" + code[3..], "app")), Is.EqualTo("/"),
            "no pause after blank recovery codes, and the kana-mode hyphen (U+30FC) is a hyphen");
        var recovery = _recoveryCodes["T0141"][0].Replace("-", "\u2010");
        Assert.That(PathOf(await SubmitAsync(await PasswordOnlyAsync("T0141"), recovery, "recovery")), Is.EqualTo("/"));
        Assert.That(await TestMembers.AuditKindsAsync(_factory, "T0141"), Does.Not.Contain(AuditKinds.OtpFailed));
    }

    [Test]
    public async Task ARecoveryCodeStoredBeforeCodesWereKeyed_StillWorksOnce()
    {
        await EnrolledAppMemberAsync("T0131");
        // A set as the provider stored it before 2026-11-26: a plain SHA-256 of each code.
        await TestMembers.WithDbAsync(_factory, async db =>
        {
            var id = await db.Members.Where(m => m.UserId == "T0131").Select(m => m.Id).SingleAsync();
            await db.RecoveryCodes.Where(c => c.MemberId == id).ExecuteDeleteAsync();
            db.RecoveryCodes.Add(new Kosmo.Idp.Members.Otp.RecoveryCode
            {
                MemberId = id, CodeHash = System.Security.Cryptography.SHA256.HashData("ABCD-EFGH"u8), CreatedAt = _clock.GetUtcNow(),
            });
            return await db.SaveChangesAsync();
        });

        var signedIn = await SubmitAsync(await PasswordOnlyAsync("T0131"), "abcd efgh", "recovery");
        Assert.That(PathOf(signedIn), Is.EqualTo("/journey/recovery-codes"), "signed in; its last code used, the member is given a new set");
        var used = await TestMembers.WithDbAsync(_factory, db => db.RecoveryCodes.AsNoTracking()
            .Where(c => db.Members.Any(m => m.Id == c.MemberId && m.UserId == "T0131")).Select(c => c.UsedAt).SingleAsync());
        Assert.That(used, Is.Not.Null, "used once");
    }

    [Test]
    public async Task WrongAppCodesSentInParallel_AreEachCounted_SoThePauseHolds()
    {
        await EnrolledAppMemberAsync("T0020");
        var browsers = new List<HttpClient>();
        for (var i = 0; i < 10; i++)
        {
            browsers.Add(await PasswordOnlyAsync("T0020"));
        }

        var pages = await Task.WhenAll(browsers.Select(b => b.GetAsync("/journey/otp?mode=app")));
        var answers = await Task.WhenAll(browsers.Select((browser, i) =>
            HtmlForm.SubmitAsync(browser, pages[i], new Dictionary<string, string> { ["Code"] = "000000" }, "#otp-form")));

        Assert.That(answers.Select(a => a.StatusCode), Is.All.EqualTo(HttpStatusCode.OK));
        var kinds = await TestMembers.AuditKindsAsync(_factory, "T0020");
        Assert.That(kinds.Count(k => k == AuditKinds.OtpFailed), Is.EqualTo(5), "five free tries, however they arrive");
        Assert.That(kinds.Count(k => k == AuditKinds.OtpLockedOut), Is.EqualTo(1), "the sixth pauses; the rest are refused unchecked");
    }

    [Test]
    public async Task Resend_ForAMemberWithOnlyAnApp_MailsNothing_AndTheAppPageStays()
    {
        await EnrolledAppMemberAsync("T0021");
        var browser = await PasswordOnlyAsync("T0021");
        var page = await browser.GetAsync("/journey/otp?mode=app");

        // The page offers no resend; a hand-made post of one, with a genuine antiforgery token.
        var token = (await HtmlForm.ParseAsync(page)).QuerySelector("#otp-form input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        var answer = await browser.PostAsync("/journey/otp?handler=Resend",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));

        Assert.That(answer.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(_factory.Mail.To("t0021@example.jp").Where(m => m.Subject.Contains("ワンタイムパスワード")), Is.Empty, "no code it could not use");
        Assert.That((await HtmlForm.ParseAsync(answer)).QuerySelector("#otp-form"), Is.Not.Null);
    }

    [Test]
    public async Task TheLanguageSwitch_AfterAWrongCode_KeepsTheWayBackToTheApp()
    {
        await TestMembers.AddAsync(_factory, "T0022", "Mail-Member-2026");
        var app = TestRelyingApp.Portal(_factory);
        var authorize = await app.Browser.GetAsync(app.AuthorizeUrl(Pkce.Create()));
        var otp = await FollowAsync(app.Browser, await LoginAsync(app.Browser, "T0022", "Mail-Member-2026", authorize.Headers.Location!.OriginalString));

        var wrong = await HtmlForm.SubmitAsync(app.Browser, otp, new Dictionary<string, string> { ["Code"] = "000000" }, "#otp-form");
        var switchTo = (await HtmlForm.ParseAsync(wrong)).QuerySelector("form.language-switch input[name=returnUrl]")!.GetAttribute("value")!;

        Assert.That(switchTo, Does.StartWith("/journey/otp?returnUrl="));
        Assert.That(Uri.UnescapeDataString(switchTo), Does.Contain("/connect/authorize?"), "the app's request survives the switch");
        Assert.That(switchTo, Does.EndWith("&mode=email"), "and the page's method");
    }

    [Test]
    public async Task EmailCode_ArrivesWithTheManualsSubject_AndIsAcceptedOnce_EvenFromTwoSubmissionsAtOnce()
    {
        await TestMembers.AddAsync(_factory, "T0005", "Mail-Member-2026");
        var first = await PasswordOnlyAsync("T0005");
        var firstPage = await first.GetAsync("/journey/otp");
        var mail = _factory.Mail.To("t0005@example.jp").Last();
        Assert.That(mail.Subject, Is.EqualTo("【KOSMOWeb】ワンタイムパスワードのお知らせ"));
        Assert.That((mail.From, mail.FromName), Is.EqualTo(("no-reply@kosmo-web.jp", "健康保険組合")), "the manual's sender");
        Assert.That(mail.Text, Does.Contain("KOSMO Communication Web にログインするためのワンタイムパスワード"), "the manual's words");
        var expiresAt = await TestMembers.WithDbAsync(_factory, db => db.EmailOtpChallenges.Where(c => db.Members.Any(m => m.Id == c.MemberId && m.UserId == "T0005")).Select(c => c.ExpiresAt).SingleAsync());
        Assert.That(mail.Text, Does.Contain($"有効期限は {expiresAt.ToOffset(TimeSpan.FromHours(9)):yyyy年M月d日 H:mm}（日本時間）です（送信から10分間）。"),
            "a mail read late says whether its code still works");
        var page = await firstPage.Content.ReadAsStringAsync();
        Assert.That(page, Does.Contain("受信したワンタイムパスワードを入力してください").And.Contain("再送信").And.Contain("メールが届かない場合は再送信を選択してください"));
        var shown = await HtmlForm.ParseAsync(firstPage);
        Assert.That((shown.QuerySelector("h1")?.TextContent.Trim(), shown.QuerySelector("#otp-form button[type=submit]")?.TextContent.Trim()),
            Is.EqualTo(("ワンタイムパスワード (OTP) メール認証", "実行")), "the manual's title and button, word for word");

        var second = await PasswordOnlyAsync("T0005");
        var secondPage = await second.GetAsync("/journey/otp");
        Assert.That(_factory.Mail.To("t0005@example.jp"), Has.Count.EqualTo(1), "a second page within the code's life sends nothing new");
        var code = OtpMail.CodeIn(mail);
        var results = await Task.WhenAll(
            HtmlForm.SubmitAsync(first, firstPage, new Dictionary<string, string> { ["Code"] = code }, "#otp-form"),
            HtmlForm.SubmitAsync(second, secondPage, new Dictionary<string, string> { ["Code"] = code[..3] + " " + code[3..] }, "#otp-form"));
        Assert.That(results.Count(r => r.StatusCode == HttpStatusCode.Redirect), Is.EqualTo(1), "exactly one wins");
    }

    [Test]
    public async Task AMemberWhoseFirstMailedCodeDoesNotArrive_CanGoBackAndChooseTheApp()
    {
        // As after an operator's reset-mfa for a member who lost the mailbox: no method yet.
        await TestMembers.AddAsync(_factory, "T0154", PasswordOf("T0154"));
        await TestMembers.WithDbAsync(_factory, db => db.Members.Where(m => m.UserId == "T0154").ExecuteUpdateAsync(set => set
            .SetProperty(m => m.OtpMethod, (Kosmo.Idp.Members.OtpMethod?)null)
            .SetProperty(m => m.EmailOtpEnabledAt, (DateTimeOffset?)null)));
        var browser = _factory.Browser();
        var toMethod = await LoginAsync(browser, "T0154", PasswordOf("T0154"));
        Assert.That(PathOf(toMethod), Is.EqualTo("/journey/method"));
        var byMail = await SubmitNextAsync(browser, toMethod, new Dictionary<string, string> { ["Method"] = "Email" });
        var codePage = await FollowAsync(browser, byMail);
        Assert.That(ErrorOn(await codePage.Content.ReadAsStringAsync(), "otp-choose-again"), Is.EqualTo("認証方法を選び直す"));

        var back = await HtmlForm.SubmitAsync(browser, codePage, new Dictionary<string, string>(), "#otp-choose-again-form");
        Assert.That(PathOf(back), Is.EqualTo("/journey/method"));
        var byApp = await SubmitNextAsync(browser, back, new Dictionary<string, string> { ["Method"] = "App" });
        Assert.That(PathOf(byApp), Is.EqualTo("/journey/otp-setup/app"), "on to setting up the app instead");
    }

    [Test]
    public async Task AMemberWhoAlreadyHasAMethod_IsNotOfferedToChooseAgain_OnTheCodePage()
    {
        await TestMembers.AddAsync(_factory, "T0155", PasswordOf("T0155"));
        var browser = await PasswordOnlyAsync("T0155");
        var page = await (await browser.GetAsync("/journey/otp")).Content.ReadAsStringAsync();
        Assert.That(ErrorOn(page, "otp-choose-again"), Is.Null, "changing an enabled method is the account page's, after the code");
    }

    [Test]
    public async Task TheCodePageOpenedByAnotherSite_MailsNothing_UntilTheMemberPressesResend()
    {
        await TestMembers.AddAsync(_factory, "T0153", PasswordOf("T0153"));
        var browser = await PasswordOnlyAsync("T0153");

        // Another site opening the page over and over would otherwise mail the member each time.
        var opened = await browser.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/journey/otp?mode=email") { Headers = { { "Sec-Fetch-Site", "cross-site" } } });
        Assert.That(ErrorOn(await opened.Content.ReadAsStringAsync(), "otp-notice"), Does.Contain("「再送信」を押すと"));
        Assert.That(_factory.Mail.To("t0153@example.jp"), Is.Empty);

        var sent = await HtmlForm.SubmitAsync(browser, opened, new Dictionary<string, string>(), "#otp-resend-form");
        Assert.That(_factory.Mail.To("t0153@example.jp"), Has.Count.EqualTo(1));
        Assert.That(ErrorOn(await sent.Content.ReadAsStringAsync(), "otp-notice"), Does.Contain("送信しました").And.Not.Contain("前のメール"),
            "no earlier mail to warn about");
    }

    [Test]
    public async Task AMailProviderThatIsDown_IsExplained_AndResendWorksOnceItIsBack()
    {
        await TestMembers.AddAsync(_factory, "T0013", "Mail-Member-2026");
        var browser = await PasswordOnlyAsync("T0013");
        _factory.Mail.Down = true;
        string page;
        try
        {
            page = await (await browser.GetAsync("/journey/otp")).Content.ReadAsStringAsync();
        }
        finally
        {
            _factory.Mail.Down = false;
        }

        Assert.That(ErrorOn(page, "otp-send-error"), Does.Contain("ただいまメールを送信できません"));
        await ResendAsync(browser);
        Assert.That(PathOf(await SubmitAsync(browser, OtpMail.LatestCode(_factory, "t0013@example.jp"), "email")), Is.EqualTo("/"));
        Assert.That(await TestMembers.AuditKindsAsync(_factory, "T0013"), Does.Contain(AuditKinds.OtpNotSent));
    }

    [Test]
    public async Task EmailCode_ExpiresAfterTenMinutes()
    {
        await TestMembers.AddAsync(_factory, "T0006", "Mail-Member-2026");
        var browser = await PasswordOnlyAsync("T0006");
        var page = await browser.GetAsync("/journey/otp");
        var code = OtpMail.LatestCode(_factory, "t0006@example.jp");
        _clock.Advance(TimeSpan.FromMinutes(10));
        var expired = await HtmlForm.SubmitAsync(browser, page, new Dictionary<string, string> { ["Code"] = code }, "#otp-form");
        Assert.That(ErrorOn(await expired.Content.ReadAsStringAsync(), "otp-error"), Does.Contain("有効期限が切れました"));
        var reopened = await (await browser.GetAsync("/journey/otp")).Content.ReadAsStringAsync();
        Assert.That(ErrorOn(reopened, "otp-notice"), Does.Contain("送信しました"), "coming back to the page mails a fresh code");
    }

    [Test]
    public async Task AWrongCode_IsExplainedByTheCodeField_AndTheFieldPointsScreenReadersToTheReason()
    {
        var (browser, code) = await AtTheMailedCodeAsync("T0031");

        var html = await SubmitCodeAsync(browser, AnotherCode(code), "email");

        var page = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(html);
        Assert.That(page.QuerySelector("#otp-form #otp-error")?.TextContent, Does.Contain("正しくありません"), "inside the form, by the field");
        var field = page.QuerySelector("#otp-form input[name=Code]")!;
        Assert.That(field.GetAttribute("aria-invalid"), Is.EqualTo("true"));
        Assert.That(field.GetAttribute("aria-describedby")!.Split(' '), Does.Contain("otp-error"));
        Assert.That(page.QuerySelector("ul.other-methods"), Is.Null, "no other way in for a member with mail codes and no recovery codes: no empty list to announce");
    }

    [Test]
    public async Task FiveWrongEmailCodes_KillTheCode_AndAResendDoesNotGiveMoreTriesUntilTheHourIsOver()
    {
        var (browser, code) = await AtTheMailedCodeAsync("T0007");
        var wrong = AnotherCode(code);
        var messages = new List<string?>();
        for (var i = 0; i < 5; i++)
        {
            messages.Add(ErrorOn(await SubmitCodeAsync(browser, wrong, "email"), "otp-error"));
        }

        Assert.That(messages[0], Does.Contain("あと4回"));
        Assert.That(messages[4], Does.Contain("使えなくなりました"));
        Assert.That(ErrorOn(await SubmitCodeAsync(browser, code, "email"), "otp-error"), Does.Contain("使えなくなりました"), "the right code is dead too");

        Assert.That(messages[4], Does.Contain("分ほどしてから").And.Contain("健康保険組合にお問い合わせ"), "how long, and the way out for a member without recovery codes");
        var audited = await TestMembers.WithDbAsync(_factory, async db =>
        {
            var id = await db.Members.Where(m => m.UserId == "T0007").Select(m => m.Id).SingleAsync();
            return await db.AuditEvents.Where(a => a.MemberId == id && (a.Kind == AuditKinds.OtpFailed || a.Kind == AuditKinds.OtpLockedOut))
                .OrderBy(a => a.Id).Select(a => a.Kind).ToListAsync();
        });
        Assert.That(audited, Is.EqualTo(new[] { AuditKinds.OtpFailed, AuditKinds.OtpFailed, AuditKinds.OtpFailed, AuditKinds.OtpFailed, AuditKinds.OtpLockedOut }),
            "four failures, the fifth the lockout, and the right code refused after it no new failure: as for app codes");

        var mailsBefore = _factory.Mail.To("t0007@example.jp").Count;
        var resend = await ResendAsync(browser);
        Assert.That(ErrorOn(resend, "otp-send-error"), Does.Contain("送信できません").And.Contain("健康保険組合にお問い合わせ"),
            "a resend does not restore the tries, so no useless code is mailed; said at once, not as a half-minute cooldown");
        var newLogin = await (await (await PasswordOnlyAsync("T0007")).GetAsync("/journey/otp")).Content.ReadAsStringAsync();
        Assert.That(ErrorOn(newLogin, "otp-send-error"), Does.Contain("送信できません"), "a new login is told too, not left waiting for a mail");
        Assert.That(_factory.Mail.To("t0007@example.jp"), Has.Count.EqualTo(mailsBefore));

        // An hour after the first mail the counts start again (visits every 25 minutes keep the session from going idle).
        foreach (var minutes in new[] { 25, 25, 15 })
        {
            _clock.Advance(TimeSpan.FromMinutes(minutes));
            await browser.GetAsync("/journey/otp?mode=email");
        }

        await ResendAsync(browser);
        Assert.That(PathOf(await SubmitAsync(browser, OtpMail.LatestCode(_factory, "t0007@example.jp"), "email")), Is.EqualTo("/"),
            "an hour later the member can try again");
    }

    [Test]
    public async Task SigningInAgainWhileTheMailedCodeLives_SaysToUseThatMail_AndSendsNoOther()
    {
        await TestMembers.AddAsync(_factory, "T0099", "Mail-Member-2026");
        var first = await PasswordOnlyAsync("T0099");
        await first.GetAsync("/journey/otp");
        Assert.That(_factory.Mail.To("t0099@example.jp"), Has.Count.EqualTo(1));

        _clock.Advance(TimeSpan.FromMinutes(3));
        var again = await PasswordOnlyAsync("T0099");
        var page = await (await again.GetAsync("/journey/otp")).Content.ReadAsStringAsync();
        Assert.That(ErrorOn(page, "otp-notice"), Does.Contain("t0***@example.jp").And.Contain("あと7分使えます").And.Contain("再送信"));
        Assert.That(_factory.Mail.To("t0099@example.jp"), Has.Count.EqualTo(1));
        Assert.That(PathOf(await SubmitAsync(again, OtpMail.LatestCode(_factory, "t0099@example.jp"), "email")), Is.EqualTo("/"));
    }

    [Test]
    public async Task AMemberWhoCannotGetACode_CanSignOutFromTheCodePage()
    {
        await TestMembers.AddAsync(_factory, "T0014", "Mail-Member-2026");
        var browser = await PasswordOnlyAsync("T0014");
        var signedOut = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/journey/otp"), new Dictionary<string, string>(), "#otp-sign-out");
        Assert.That(signedOut.Headers.Location?.OriginalString, Is.EqualTo("/signed-out"));
        Assert.That(PathOf(await browser.GetAsync("/journey/otp")), Is.EqualTo("/login"), "not left signed in half-way");
    }

    [Test]
    public async Task Resend_WaitsForTheCooldown_AndStopsAtTheHourlyCap()
    {
        await TestMembers.AddAsync(_factory, "T0008", "Mail-Member-2026");
        var browser = await PasswordOnlyAsync("T0008");
        await browser.GetAsync("/journey/otp");
        var tooSoon = await ResendAsync(browser);
        Assert.That(ErrorOn(tooSoon, "otp-send-error"), Does.Contain("秒ほどお待ちください").And.Contain("最後に届いたワンタイムパスワードは、あと10分使えます"),
            "the code mailed a moment ago is the answer");
        Assert.That(_factory.Mail.To("t0008@example.jp"), Has.Count.EqualTo(1));

        for (var i = 0; i < 4; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(31));
            var resent = await ResendAsync(browser);
            Assert.That(ErrorOn(resent, "otp-send-error"), Is.Null);
            Assert.That(ErrorOn(resent, "otp-notice"), Does.Contain("送り直しました").And.Contain("前のメールのものは使えません"), "the member knows which mail to use");
        }

        _clock.Advance(TimeSpan.FromSeconds(31));
        var capped = await ResendAsync(browser);
        Assert.That(ErrorOn(capped, "otp-send-error"), Does.Contain("送信回数が上限に達しました").And.Contain("最後に届いたワンタイムパスワードは、あと10分使えます"),
            "not sent away to wait an hour while the last code works");
        Assert.That(_factory.Mail.To("t0008@example.jp"), Has.Count.EqualTo(5));
        Assert.That(PathOf(await SubmitAsync(browser, OtpMail.LatestCode(_factory, "t0008@example.jp"), "email")), Is.EqualTo("/"),
            "the last code sent still works");
    }

    private readonly Dictionary<string, IReadOnlyList<string>> _recoveryCodes = [];

    private Task AddAppMemberAsync(string userId) => TestMembers.AddWhoMustSetUpAnAppAsync(_factory, userId, "Totp-Member-2026");

    /// <summary>A member who set up an app through the setup page; returns the secret read from the QR code.</summary>
    private async Task<string> EnrolledAppMemberAsync(string userId, bool keepCodes = false)
    {
        await AddAppMemberAsync(userId);
        var browser = _factory.Browser();
        await LoginAsync(browser, userId, "Totp-Member-2026");
        var setup = await browser.GetAsync("/journey/otp-setup/app");
        var secret = await AuthenticatorApp.ScanAsync(browser, setup);
        var enrolled = await HtmlForm.SubmitAsync(browser, setup, new Dictionary<string, string> { ["Code"] = AuthenticatorApp.CodeAt(secret, _clock.GetUtcNow()) }, "#otp-setup-form");
        var codesPage = await FollowAsync(browser, enrolled);
        if (keepCodes)
        {
            _recoveryCodes[userId] = await RecoveryCodesOnAsync(codesPage);
        }

        await HtmlForm.SubmitAsync(browser, codesPage, new Dictionary<string, string>());
        return secret;
    }

    private async Task<HttpClient> PasswordOnlyAsync(string userId)
    {
        var browser = _factory.Browser();
        Assert.That(PathOf(await LoginAsync(browser, userId, PasswordOf(userId))), Is.EqualTo("/journey/otp"));
        return browser;
    }

    private static string PasswordOf(string userId) =>
        userId is "T0005" or "T0006" or "T0007" or "T0008" or "T0011" or "T0012" or "T0013" or "T0014" or "T0015" or "T0016" or "T0099" ? "Mail-Member-2026" : "Totp-Member-2026";

    /// <summary>A new mail member past the password, on the code page, with the code that page mailed.</summary>
    private async Task<(HttpClient Browser, string Code)> AtTheMailedCodeAsync(string userId)
    {
        await TestMembers.AddAsync(_factory, userId, PasswordOf(userId));
        var browser = await PasswordOnlyAsync(userId);
        await browser.GetAsync("/journey/otp");
        return (browser, OtpMail.LatestCode(_factory, userId.ToLowerInvariant() + "@example.jp"));
    }

    /// <summary>A code that is surely not the given one.</summary>
    private static string AnotherCode(string code) => code == "000000" ? "111111" : "000000";

    private static async Task<HttpResponseMessage> SubmitAsync(HttpClient browser, string code, string mode)
    {
        var page = await browser.GetAsync("/journey/otp?mode=" + mode);
        return await HtmlForm.SubmitAsync(browser, page, new Dictionary<string, string> { ["Code"] = code }, "#otp-form");
    }

    private static async Task<string> SubmitCodeAsync(HttpClient browser, string code, string mode) =>
        await (await SubmitAsync(browser, code, mode)).Content.ReadAsStringAsync();

    private static async Task<string> ResendAsync(HttpClient browser)
    {
        var page = await browser.GetAsync("/journey/otp?mode=email");
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK), page.Headers.Location?.ToString());
        return await (await HtmlForm.SubmitAsync(browser, page, new Dictionary<string, string>(), "#otp-resend-form")).Content.ReadAsStringAsync();
    }

    /// <summary>The QR code as the setup page shows it (its img) or offers it (its download link).</summary>
    private static async Task<byte[]> QrAsync(HttpClient browser, HttpResponseMessage setupPage, bool download = false)
    {
        var document = await HtmlForm.ParseAsync(setupPage);
        var url = download ? document.QuerySelector("#otp-qr-download")!.GetAttribute("href")! : document.QuerySelector("#otp-qr")!.GetAttribute("src")!;
        var response = await browser.GetAsync(url);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("image/png"));
        return await response.Content.ReadAsByteArrayAsync();
    }

    private static string AcrOf(string idToken) =>
        new System.IdentityModel.Tokens.Jwt.JwtSecurityTokenHandler().ReadJwtToken(idToken).Claims.Single(c => c.Type == "acr").Value;
}
