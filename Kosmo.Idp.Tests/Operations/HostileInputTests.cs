using System.Net;
using System.Text;
using Kosmo.Idp.Members;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using static Kosmo.Idp.Tests.Journey.JourneySteps;

namespace Kosmo.Idp.Tests.Operations;

/// <summary>
/// Input no member types but anyone can send: each gets a refusal (OAuth's error, a page's 400 or
/// 405, the page again with a message), never a 500, and nothing already saved is lost.
/// </summary>
public sealed class HostileInputTests
{
    private const string Password = "Hostile-Input-2026";
    private KosmoFactory _factory = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _factory = await KosmoFactory.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _factory.DisposeAsync();

    [TestCase("/connect/token")]
    [TestCase("/connect/revoke")]
    [TestCase("/connect/introspect")]
    public async Task AFormWithANulCharacter_AtAProtocolEndpoint_IsOAuthsInvalidRequest(string endpoint)
    {
        var response = await _factory.Browser().PostAsync(endpoint,
            new StringContent("client_id=portal%00&token=x&grant_type=client_credentials", Encoding.ASCII, "application/x-www-form-urlencoded"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("\"invalid_request\""));
    }

    [TestCase("application/x-www-form-urlencoded", "UserId=a%00&Password=b")]
    [TestCase("multipart/form-data; boundary=zzz", "x")]
    public async Task AnUnreadableForm_OnAPage_IsThe400Page(string contentType, string body)
    {
        var content = new ByteArrayContent(Encoding.ASCII.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        var response = await _factory.Browser().PostAsync("/login", content);

        Assert.That(response.Headers.Contains("Content-Security-Policy"), Is.True, "the page of the service, with its headers");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var html = await response.Content.ReadAsStringAsync();
        Assert.That(html, Does.Not.Contain("   at "));
        Assert.That(html, Does.Contain("送信できない文字が含まれていました").And.Not.Contain("有効期限"), "the input was refused; the page has not expired");
    }

    [Test]
    public async Task AMadeUpAntiforgeryCookie_GetsAFreshOne_WithoutAnErrorInTheLog()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/login");
        request.Headers.Add("Cookie", "kosmo_antiforgery=made-up-by-someone");
        var response = await _factory.Browser().SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Headers.GetValues("Set-Cookie"), Has.Some.StartsWith("kosmo_antiforgery="), "a new cookie replaces it");
        Assert.That(_factory.Logs.Events, Has.None.Contains("deserializing the token"), "a client's garbage is no error of the service");
    }

    [Test]
    public async Task TheErrorPageOpenedDirectly_AnswersClientErrors_ButNeverClaimsAServerError()
    {
        Assert.That((await _factory.Browser().GetAsync("/error/429")).StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That((await _factory.Browser().GetAsync("/error/500")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound),
            "a bookmark or a probe is no failure of the service (nor an Error in its log)");
        foreach (var path in new[] { "/error", "/error/0", "/error/-1", "/error/200" })
        {
            Assert.That((await _factory.Browser().GetAsync(path)).StatusCode, Is.EqualTo(HttpStatusCode.NotFound), path);
        }

        // A page that does not exist: the 404 page, and one request event (not a second for the page re-executed).
        Assert.That((await _factory.Browser().GetAsync("/no-such-page-here")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(_factory.Logs.Events.Where(e => e.Contains("RequestLoggingMiddleware") && e.Contains("/no-such-page-here")).ToList(), Has.Count.EqualTo(1));
        Assert.That(_factory.Logs.Events.Where(e => e.Contains("RequestLoggingMiddleware") && e.Contains("RequestPath=\"/error/404\"")), Is.Empty);
    }

    [Test]
    public async Task AFormSentFromAPageThatExpired_SaysSo_AndOffersThePageAfresh()
    {
        // The login page of one browser, sent from another: its antiforgery token fits no cookie there.
        var page = await _factory.Browser().GetAsync("/login?ReturnUrl=%2Faccount");
        var stale = await HtmlForm.SubmitAsync(_factory.Browser(), page, new Dictionary<string, string> { ["UserId"] = "H0001", ["Password"] = Password });

        Assert.That(stale.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var html = await HtmlForm.ParseAsync(stale);
        Assert.That(html.QuerySelector("h1")!.TextContent, Is.EqualTo("このページの有効期限が切れました"));
        Assert.That(html.GetElementById("error-retry")!.GetAttribute("href"), Is.EqualTo("/login?ReturnUrl=%2Faccount"), "the same page, opened afresh");
        Assert.That(html.QuerySelector("form.language-switch input[name=returnUrl]")!.GetAttribute("value"), Is.EqualTo("/login?ReturnUrl=%2Faccount"),
            "the language switch opens that page too, not the error page's own address (which would say only 'page not found')");
    }

    [Test]
    public async Task TheLanguageSwitchOfAPageThatExpired_GoesBackToThatPage_SwitchingOnlyWhenTheBrowserSaysItIsOurPage()
    {
        // A page of one browser, its switch pressed in another: the token fits no cookie there.
        var page = await _factory.Browser().GetAsync("/login?ReturnUrl=%2Faccount");
        var html = await page.Content.ReadAsStringAsync();

        async Task<HttpResponseMessage> PressAsync(params (string Name, string Value)[] headers)
        {
            var browser = _factory.Browser();
            foreach (var (name, value) in headers)
            {
                browser.DefaultRequestHeaders.Add(name, value);
            }

            return await HtmlForm.SubmitAsync(browser, new HttpResponseMessage { Content = new StringContent(html), RequestMessage = page.RequestMessage },
                new Dictionary<string, string> { ["culture"] = "en" }, "form.language-switch");
        }

        static string[] LanguageCookies(HttpResponseMessage response) =>
            (response.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : []).Where(c => c.StartsWith("kosmo_language=", StringComparison.Ordinal)).ToArray();

        var ours = await PressAsync(("Sec-Fetch-Site", "same-origin"));
        Assert.That(ours.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), "not the expired-page error");
        Assert.That(ours.Headers.Location!.OriginalString, Is.EqualTo("/login?ReturnUrl=%2Faccount"));
        Assert.That(LanguageCookies(ours), Has.Some.StartWith("kosmo_language=c%3Den"), "one press is enough");
        Assert.That(LanguageCookies(await PressAsync(("Origin", "http://localhost"))), Has.Some.StartWith("kosmo_language=c%3Den"), "an older browser's Origin");

        var otherSite = await PressAsync(("Sec-Fetch-Site", "cross-site"), ("Origin", "http://localhost"));
        Assert.That(otherSite.Headers.Location!.OriginalString, Is.EqualTo("/login?ReturnUrl=%2Faccount"));
        Assert.That(LanguageCookies(otherSite), Is.Empty, "another site's form changes nothing");
        Assert.That(LanguageCookies(await PressAsync(("Origin", "https://evil.example"))), Is.Empty);
        Assert.That(LanguageCookies(await PressAsync()), Is.Empty, "nothing proves where it came from");
    }

    [TestCase("POST", "/account?handler=NoSuchHandler")]
    [TestCase("POST", "/account")]
    [TestCase("TRACE", "/account")]
    [TestCase("PUT", "/journey/confirm")]
    [TestCase("OPTIONS", "/account")]
    public async Task ARequestNoHandlerOfThePageServes_Is405_NamingTheMethodsItServes(string method, string path)
    {
        var userId = $"H1{method.Length}{path.Length:D2}{(path.Contains('?') ? 1 : 0)}";
        await TestMembers.AddAsync(_factory, userId, Password);
        var app = TestRelyingApp.Portal(_factory);
        Assert.That((await app.SignInAsync(userId, Password, Pkce.Create())).Code, Is.Not.Null, "signed in, so only the handler is missing");
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            // A genuine antiforgery token from the account page, so that check passes.
            var account = await HtmlForm.ParseAsync(await app.Browser.GetAsync("/account"));
            var token = account.QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
            request.Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token });
        }

        var response = await app.Browser.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.MethodNotAllowed));
        Assert.That(response.Content.Headers.Allow, Is.EquivalentTo(new[] { "GET", "HEAD", "POST" }));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Not.Contain("   at "));
    }

    [Test]
    public async Task AHugeMaxAge_IsJustAnOldEnoughSession()
    {
        await TestMembers.AddAsync(_factory, "H0001", Password);
        var app = TestRelyingApp.Portal(_factory);
        Assert.That((await app.SignInAsync("H0001", Password, Pkce.Create())).Code, Is.Not.Null);

        var again = AuthorizationResponse.From(await app.Browser.GetAsync(app.AuthorizeUrl(Pkce.Create(),
            new Dictionary<string, string?> { ["max_age"] = "999999999999" })), KosmoFactory.PortalRedirect);

        Assert.That(again.Code, Is.Not.Null, "a session of a few seconds is younger than that");
    }

    [TestCase("H0021", "١٩٨٤١٠٠٧")]
    [TestCase("H0022", "१९८४-१०-०७")]
    public async Task ABirthdateInAnotherScriptsDigits_IsAFormatErrorOnThePage(string userId, string typed)
    {
        var member = await TestMembers.AddFromRosterAsync(_factory, userId, "123", "4567", new DateOnly(1984, 10, 7));
        var browser = _factory.Browser();
        var afterLogin = await LoginAsync(browser, userId, "123456719841007");
        Assert.That(PathOf(afterLogin), Is.EqualTo("/journey/birthdate"));

        var answer = await SubmitNextAsync(browser, afterLogin, new Dictionary<string, string> { ["BirthDate"] = typed });

        Assert.That(answer.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the page again, with its message");
        Assert.That(await answer.Content.ReadAsStringAsync(), Does.Contain("生年月日を西暦8桁（例: 19841007）で入力してください。"));
        var after = await TestMembers.WithDbAsync(_factory, db => db.Members.AsNoTracking().SingleAsync(m => m.Id == member.Id));
        Assert.That((after.BirthDateConfirmedAt, after.BirthDateFailures), Is.EqualTo(((DateTimeOffset?)null, 0)), "not counted as a wrong birthdate either");
    }

    [Test]
    public async Task ADeviceNameWithAnEscapeSequence_IsRefusedWithAReason()
    {
        var browser = await AtAppSetupAsync("H0004");

        var answer = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/journey/otp-setup/app"),
            new Dictionary<string, string> { ["Code"] = "000000", ["DeviceName"] = "私の\u001b[31m端末" }, "#otp-setup-form");

        Assert.That(answer.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await answer.Content.ReadAsStringAsync(), Does.Contain("デバイス名に使えない文字"));
        Assert.That(await TestMembers.WithDbAsync(_factory, db => db.TotpDevices.CountAsync(d => d.ConfirmedAt != null && db.Members.Any(m => m.Id == d.MemberId && m.UserId == "H0004"))), Is.Zero);
    }

    [Test]
    public async Task ADeviceNameWithAZeroWidthSpace_IsRefusedWithAReason()
    {
        var browser = await AtAppSetupAsync("H0005");

        var answer = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/journey/otp-setup/app"),
            new Dictionary<string, string> { ["Code"] = "000000", ["DeviceName"] = "私の\u200b端末" }, "#otp-setup-form");

        Assert.That(await answer.Content.ReadAsStringAsync(), Does.Contain("デバイス名に使えない文字"), "two names that print alike would be two devices the member cannot tell apart");
    }

    private async Task<HttpClient> AtAppSetupAsync(string userId)
    {
        await TestMembers.AddWhoMustSetUpAnAppAsync(_factory, userId, Password);
        var browser = _factory.Browser();
        Assert.That(PathOf(await LoginAsync(browser, userId, Password)), Is.EqualTo("/journey/otp-setup/app"));
        return browser;
    }

    [Test]
    public async Task ACheckboxValueThatIsNotABoolean_CountsAsUnchecked()
    {
        var browser = await AtAppSetupAsync("H0003");

        var answer = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/journey/otp-setup/app"),
            new Dictionary<string, string> { ["Code"] = "000000", ["SignOutEverywhere"] = "maybe" }, "#otp-setup-form");

        Assert.That(answer.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the page again, saying the code was wrong");
        var html = await answer.Content.ReadAsStringAsync();
        Assert.That(html, Does.Contain("id=\"otp-error\""), "the wrong code is what the page says");
        Assert.That(html, Does.Not.Contain("The SignOutEverywhere field").And.Not.Contain("is not valid"), "no English binding message");
    }
}
