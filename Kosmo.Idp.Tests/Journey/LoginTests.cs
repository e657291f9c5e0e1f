using System.Net;
using Kosmo.Idp.Members;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Kosmo.Idp.Tests.Journey;

public sealed class LoginTests
{
    private KosmoFactory _factory = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _factory = await KosmoFactory.StartAsync(new Dictionary<string, string?>
    {
        ["SignInLockout:FreeAttempts"] = "3",
    });

    [OneTimeTearDown]
    public async Task StopAsync() => await _factory.DisposeAsync();

    [Test]
    public async Task AnEmptyField_IsMarkedInvalid_AndDescribedByItsMessage_WhileTheFilledOneIsNot()
    {
        var browser = _factory.Browser();
        var refused = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/login"),
            new Dictionary<string, string> { ["UserId"] = "", ["Password"] = "some-password-1" });

        var page = await HtmlForm.ParseAsync(refused);
        var userId = page.QuerySelector("input[name=UserId]")!;
        Assert.That(userId.GetAttribute("aria-invalid"), Is.EqualTo("true"));
        var describedBy = userId.GetAttribute("aria-describedby")!.Split(' ');
        Assert.That(describedBy.Select(id => page.GetElementById(id)?.TextContent), Has.Some.Contains("ユーザIDを入力してください"),
            "the field points at the element that holds its message");
        Assert.That(page.QuerySelector("input[name=Password]")!.HasAttribute("aria-invalid"), Is.False);
        Assert.That(page.QuerySelectorAll("[id]").GroupBy(e => e.Id).Where(g => g.Count() > 1).Select(g => g.Key), Is.Empty, "ids are unique");
    }

    [Test]
    public async Task WrongPassword_AndUnknownUserId_GetTheSameMessage()
    {
        await TestMembers.AddAsync(_factory, "L0001", "right-password-1");
        var wrongPassword = await LoginAsync(_factory.Browser(), "L0001", "wrong-password-1");
        var unknownUser = await LoginAsync(_factory.Browser(), "L9999", "wrong-password-1");

        Assert.That(wrongPassword.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(unknownUser.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(ErrorOf(await wrongPassword.Content.ReadAsStringAsync()), Is.EqualTo(ErrorOf(await unknownUser.Content.ReadAsStringAsync())));
        Assert.That(ErrorOf(await wrongPassword.Content.ReadAsStringAsync()), Does.Contain("ユーザIDまたはパスワードが正しくありません"));
    }

    [Test]
    public async Task RepeatedFailures_LockTheUserId_EvenTheRightPasswordIsRefused_AndTheMemberIsToldWhatToDo()
    {
        await TestMembers.AddAsync(_factory, "L0002", "right-password-2");
        for (var i = 0; i < 4; i++)
        {
            await LoginAsync(_factory.Browser(), "L0002", "wrong-password");
        }

        var locked = await LoginAsync(_factory.Browser(), "L0002", "right-password-2");
        var html = await locked.Content.ReadAsStringAsync();
        Assert.That(locked.StatusCode, Is.EqualTo(HttpStatusCode.OK), "stays on the login page");
        Assert.That(html, Does.Contain("一時的にログインできません").And.Contain("健康保険組合にお問い合わせください"));
        Assert.That(await SignedInAsync(locked), Is.False);
    }

    [Test]
    public async Task WrongPasswordsSentInParallel_AreEachCounted_SoTheLockHolds()
    {
        await TestMembers.AddAsync(_factory, "L0010", "right-password-10");
        // Every browser has its login page first, so that the posts go out together.
        var browsers = Enumerable.Range(0, 12).Select(_ => _factory.Browser()).ToList();
        var pages = await Task.WhenAll(browsers.Select(b => b.GetAsync("/login")));

        var answers = await Task.WhenAll(browsers.Select((browser, i) =>
            HtmlForm.SubmitAsync(browser, pages[i], new Dictionary<string, string> { ["UserId"] = "L0010", ["Password"] = "wrong-password" })));

        Assert.That(answers.Select(a => a.StatusCode), Is.All.EqualTo(HttpStatusCode.OK), "no error for a burst");
        var messages = await Task.WhenAll(answers.Select(async a => ErrorOf(await a.Content.ReadAsStringAsync())));
        Assert.That(messages.Count(m => m!.Contains("正しくありません")), Is.EqualTo(3), "three free tries, however they arrive");
        Assert.That(messages.Count(m => m!.Contains("一時的にログインできません")), Is.EqualTo(9));
        var after = await LoginAsync(_factory.Browser(), "L0010", "right-password-10");
        Assert.That(ErrorOf(await after.Content.ReadAsStringAsync()), Does.Contain("一時的にログインできません"), "the lock holds");
    }

    [Test]
    public async Task AUserIdThatGrowsUnderNormalization_IsAWrongUserId_NotAnError()
    {
        // Four Arabic ligatures are 72 letters once normalized, longer than any user ID.
        var answer = await LoginAsync(_factory.Browser(), "\uFDFA\uFDFA\uFDFA\uFDFA", "some-password-1");

        Assert.That(answer.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(ErrorOf(await answer.Content.ReadAsStringAsync()), Does.Contain("ユーザIDまたはパスワードが正しくありません"));
    }

    [Test]
    public async Task AnUnknownUserId_LocksExactlyLikeAMember_SoTheLockRevealsNothing()
    {
        await TestMembers.AddAsync(_factory, "L0003", "right-password-3");
        string? memberMessage = null, unknownMessage = null;
        for (var i = 0; i < 4; i++)
        {
            memberMessage = ErrorOf(await (await LoginAsync(_factory.Browser(), "L0003", "wrong")).Content.ReadAsStringAsync());
            unknownMessage = ErrorOf(await (await LoginAsync(_factory.Browser(), "L8888", "wrong")).Content.ReadAsStringAsync());
        }

        Assert.That(unknownMessage, Is.EqualTo(memberMessage));
        Assert.That(memberMessage, Does.Contain("一時的にログインできません"));
    }

    [Test]
    public async Task CorrectPassword_SignsIn_AndClearsEarlierFailures()
    {
        await TestMembers.AddAsync(_factory, "L0004", "right-password-4");
        await LoginAsync(_factory.Browser(), "L0004", "wrong");
        var response = await LoginAsync(_factory.Browser(), "l0004", "right-password-4");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(response.Headers.Location!.OriginalString, Is.EqualTo("/journey/otp"), "on to the one-time password");
        var throttles = await TestMembers.WithDbAsync(_factory, db => db.SignInThrottles.CountAsync(t => t.NormalizedUserId == "L0004"));
        Assert.That(throttles, Is.Zero);
    }

    [Test]
    public async Task AUserIdTypedInFullWidth_ByAJapaneseIme_IsTheSameUserId()
    {
        await TestMembers.AddAsync(_factory, "L0014", "right-password-14");

        var response = await LoginAsync(_factory.Browser(), "Ｌ００１４", "right-password-14");

        Assert.That(response.Headers.Location?.OriginalString, Is.EqualTo("/journey/otp"), "signed in: on to the one-time password");
    }

    [Test]
    public async Task APasswordTypedInFullWidth_ByAJapaneseIme_IsThePasswordTyped_AndAnOldHashIsUpgradedToThatOne()
    {
        await TestMembers.AddFromRosterAsync(_factory, "L0015", "315", "15", new DateOnly(1975, 3, 9));
        var rule = await LoginAsync(_factory.Browser(), "L0015", "３１５１５１９７５０３０９");
        Assert.That(rule.Headers.Location?.OriginalString, Is.EqualTo("/journey/birthdate"), "the initial password 記号+番号+生年月日, typed with the IME on");

        Span<char> weaker = stackalloc char[Geralt.Argon2id.HashSize];
        Geralt.Argon2id.ComputeHash(weaker, "Kenpo-16pw"u8, 1, 8 * 1024 * 1024);
        var member = await TestMembers.AddAsync(_factory, "L0016", "", passwordHash: new string(weaker.TrimEnd('\0')));
        var chosen = await LoginAsync(_factory.Browser(), "L0016", "Ｋｅｎｐｏ－１６ｐｗ");
        Assert.That(chosen.Headers.Location?.OriginalString, Is.EqualTo("/journey/otp"));
        var hash = await TestMembers.WithDbAsync(_factory, db => db.Members.Where(m => m.Id == member.Id).Select(m => m.PasswordHash).SingleAsync());
        Assert.That(Geralt.Argon2id.VerifyHash(hash!, "Kenpo-16pw"u8), Is.True, "upgraded to the password meant, not to its full-width form");
        Assert.That(await TestMembers.WithDbAsync(_factory, db => db.SignInThrottles.CountAsync(t => t.NormalizedUserId == "L0015" || t.NormalizedUserId == "L0016")), Is.Zero,
            "no failure counted");
    }

    [Test]
    public async Task AnOldPasswordHash_IsUpgradedToTheCurrentParameters_AtTheNextLogin()
    {
        // Made with fewer passes and less memory than the service's current setting.
        Span<char> weaker = stackalloc char[Geralt.Argon2id.HashSize];
        Geralt.Argon2id.ComputeHash(weaker, "right-password-5"u8, 1, 8 * 1024 * 1024);
        var member = await TestMembers.AddAsync(_factory, "L0005", "", passwordHash: new string(weaker.TrimEnd('\0')));

        var response = await LoginAsync(_factory.Browser(), "L0005", "right-password-5");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        var hash = await TestMembers.WithDbAsync(_factory, db => db.Members.Where(m => m.Id == member.Id).Select(m => m.PasswordHash).SingleAsync());
        Assert.That(hash, Does.StartWith("$argon2id$v=19$m=19456,t=2,p=1$"));
    }

    [Test]
    public async Task LoginPost_WithoutAntiforgeryToken_IsRejected()
    {
        await TestMembers.AddAsync(_factory, "L0006", "right-password-6");
        var response = await _factory.Browser().PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["UserId"] = "L0006",
            ["Password"] = "right-password-6",
        }));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Headers.Location, Is.Null);
    }

    [Test]
    public async Task LoginPage_SendsHeadersThatForbidFramingAndForeignScripts()
    {
        var response = await _factory.Browser().GetAsync("/login");
        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.That(csp, Does.Contain("frame-ancestors 'none'").And.Contain("script-src 'self'"));
        Assert.That(response.Headers.GetValues("X-Content-Type-Options"), Does.Contain("nosniff"));
    }

    // Not percent-encoded, "/é" could not be written into a Location header: it would fail the last step, after its code was used.
    [TestCase("L0007", "https://evil.test/")]
    [TestCase("L0017", "/é")]
    public async Task LoginPage_IgnoresAReturnUrlToAnotherSite_OrOneNoRedirectCouldCarry(string userId, string returnUrl)
    {
        await TestMembers.AddAsync(_factory, userId, "right-password-7");
        var browser = _factory.Browser();
        var page = await browser.GetAsync("/login?returnUrl=" + Uri.EscapeDataString(returnUrl));
        var response = await HtmlForm.SubmitAsync(browser, page, new Dictionary<string, string> { ["UserId"] = userId, ["Password"] = "right-password-7" });
        Assert.That(response.Headers.Location!.OriginalString, Is.EqualTo("/journey/otp"), "the return URL is dropped");
    }

    [Test]
    public async Task OnARealServer_AReturnUrlNoHeaderCouldCarry_DoesNotFailTheSignIn()
    {
        // Kestrel, unlike the in-memory test server, refuses a raw "é" in a header.
        var port = FreePorts.Next();
        await using var factory = new KosmoFactory(await PostgresServer.CreateDatabaseAsync());
        factory.UseKestrel(kestrel => kestrel.ListenLocalhost(port));
        factory.StartServer();
        await TestMembers.AddAsync(factory, "L0027", "right-password-7");
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new System.Net.CookieContainer() })
        {
            BaseAddress = new Uri($"http://localhost:{port}/"),
        };

        var page = await browser.GetAsync("/login?returnUrl=%2F%C3%A9");
        var response = await HtmlForm.SubmitAsync(browser, page, new Dictionary<string, string> { ["UserId"] = "L0027", ["Password"] = "right-password-7" });

        Assert.That(response.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.Redirect), await response.Content.ReadAsStringAsync());
        Assert.That(response.Headers.Location!.OriginalString, Is.EqualTo("/journey/otp"));
    }

    [Test]
    public async Task TheLanguageSwitch_ReturnsHome_FromAReturnUrlNoRedirectCouldCarry()
    {
        var browser = _factory.Browser();
        var switched = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/login"),
            new Dictionary<string, string> { ["culture"] = "en", ["returnUrl"] = "/é" }, "form.language-switch");
        Assert.That(switched.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.Redirect));
        Assert.That(switched.Headers.Location!.OriginalString, Is.EqualTo("/"));
    }

    [Test]
    public async Task APasswordSetBeforePasswordsWereComparedInNfkc_StillSignsIn_AndFromThenOnAnyFormOfItsKanaDoes()
    {
        // Stored as typed then: half-width katakana, which NFKC turns into the full-width ones.
        const string typedThen = "ﾊﾟｽﾜｰﾄﾞ-2026a";
        var hashThen = HashAsTyped(typedThen);
        await TestMembers.AddAsync(_factory, "L0028", typedThen, passwordHash: hashThen);

        var sameAsThen = await LoginAsync(_factory.Browser(), "L0028", typedThen);
        Assert.That(sameAsThen.Headers.Location?.OriginalString, Is.EqualTo("/journey/otp"), await sameAsThen.Content.ReadAsStringAsync());
        var stored = await TestMembers.WithDbAsync(_factory, db => db.Members.Where(m => m.UserId == "L0028").Select(m => m.PasswordHash).SingleAsync());
        Assert.That(stored, Is.Not.EqualTo(hashThen), "hashed again, in NFKC, at that sign-in");

        var fullWidthKana = await LoginAsync(_factory.Browser(), "L0028", "パスワード-2026a");
        Assert.That(fullWidthKana.Headers.Location?.OriginalString, Is.EqualTo("/journey/otp"), "an IME's full-width kana are the same password now");
    }

    /// <summary>Argon2id of the bytes as typed, without NFKC: how hashes were made before.</summary>
    private static string HashAsTyped(string password)
    {
        Span<char> hash = stackalloc char[Geralt.Argon2id.HashSize];
        Geralt.Argon2id.ComputeHash(hash, System.Text.Encoding.UTF8.GetBytes(password), 2, 19 * 1024 * 1024);
        return new string(hash.TrimEnd('\0'));
    }

    private static async Task<HttpResponseMessage> LoginAsync(HttpClient browser, string userId, string password)
    {
        var page = await browser.GetAsync("/login");
        return await HtmlForm.SubmitAsync(browser, page, new Dictionary<string, string> { ["UserId"] = userId, ["Password"] = password });
    }

    private static async Task<bool> SignedInAsync(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("kosmo_session=", StringComparison.Ordinal));

    private static string? ErrorOf(string html) =>
        new AngleSharp.Html.Parser.HtmlParser().ParseDocument(html).QuerySelector("#login-error")?.TextContent.Trim();
}
