using System.Net;
using Kosmo.Idp.Journey;
using Kosmo.Idp.Tests.Infrastructure;
using static Kosmo.Idp.Tests.Journey.JourneySteps;
using static Kosmo.Idp.Tests.Infrastructure.MetricsScrape;

namespace Kosmo.Idp.Tests.Operations;

/// <summary>
/// What the service counts, read from its scrape: sign-ins, one-time passwords, mails, requests.
/// The host here is the only one in the process while these tests run, and no test here starts
/// another: OpenTelemetry joins same-named meters of every host in a process into one series
/// (open-telemetry/opentelemetry-dotnet#6412), so a second host's events would be counted here
/// too, and stopping it ends this host's series after one more scrape. Tests that need a host of
/// their own are in <see cref="MetricsTests"/>.
/// </summary>
public sealed class MetricsCountingTests
{
    private KosmoFactory _factory = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _factory = await KosmoFactory.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _factory.DisposeAsync();

    [Test]
    public async Task FailedLogins_AreCountedExactly_WithTheirOutcome()
    {
        await TestMembers.AddAsync(_factory, "M0001", "right-password-1");
        var before = await ScrapeAsync(_factory);

        await LoginAsync(_factory.Browser(), "M0001", "wrong-password");
        await LoginAsync(_factory.Browser(), "M9999", "wrong-password");
        var succeeded = await LoginAsync(_factory.Browser(), "M0001", "right-password-1");
        Assert.That(succeeded.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));

        var after = await ScrapeAsync(_factory);
        Assert.That(after, Does.Contain("# TYPE kosmo_sign_ins_total counter"));
        Assert.That(Increase(before, after, "kosmo_sign_ins_total", "outcome=\"failed\""), Is.EqualTo(2));
        Assert.That(Increase(before, after, "kosmo_sign_ins_total", "outcome=\"succeeded\""), Is.EqualTo(1));
    }

    [Test]
    public async Task WrongPasswords_UpToTheLockout_AreCountedAsFailed_TheOneThatLocksAsLockedOut_AndLaterOnesAsRefused()
    {
        await TestMembers.AddAsync(_factory, "M0003", "right-password-3");
        var before = await ScrapeAsync(_factory);

        // Five wrong passwords are free; the sixth locks the user ID; the next two are refused unchecked.
        for (var i = 0; i < 8; i++)
        {
            await LoginAsync(_factory.Browser(), "M0003", "wrong-password");
        }

        var after = await ScrapeAsync(_factory);
        Assert.That(Increase(before, after, "kosmo_sign_ins_total", "outcome=\"failed\""), Is.EqualTo(5));
        Assert.That(Increase(before, after, "kosmo_sign_ins_total", "outcome=\"locked_out\""), Is.EqualTo(1));
        Assert.That(Increase(before, after, "kosmo_sign_ins_total", "outcome=\"refused_locked_out\""), Is.EqualTo(2));
    }

    [Test]
    public async Task MailedCodes_AreCountedAsSentFailedAndVerified_ByMethod()
    {
        await TestMembers.AddAsync(_factory, "M0004", "right-password-4");
        var browser = _factory.Browser();
        Assert.That(PathOf(await LoginAsync(browser, "M0004", "right-password-4")), Is.EqualTo("/journey/otp"));
        var before = await ScrapeAsync(_factory);

        var page = await browser.GetAsync("/journey/otp");
        var code = OtpMail.LatestCode(_factory, "m0004@example.jp");
        await HtmlForm.SubmitAsync(browser, page, new Dictionary<string, string> { ["Code"] = code == "000000" ? "111111" : "000000" }, "#otp-form");
        Assert.That(PathOf(await HtmlForm.SubmitAsync(browser, page, new Dictionary<string, string> { ["Code"] = code }, "#otp-form")), Is.EqualTo("/"));

        var after = await ScrapeAsync(_factory);
        Assert.That(after, Does.Contain("# TYPE kosmo_otp_total counter"));
        foreach (var outcome in new[] { "sent", "failed", "verified" })
        {
            Assert.That(Increase(before, after, "kosmo_otp_total", "method=\"email\"", $"outcome=\"{outcome}\""), Is.EqualTo(1), outcome);
        }
    }

    [Test]
    public async Task WrongAppCodes_AreCountedAsFailed_AndTheOneThatPausesTheMemberAsLockedOut()
    {
        await AuthenticatorApp.AddMemberAsync(_factory, "M0005", "right-password-5", "計測 五郎", "計測用スマホ");
        var browser = _factory.Browser();
        Assert.That(PathOf(await LoginAsync(browser, "M0005", "right-password-5")), Is.EqualTo("/journey/otp"));
        var before = await ScrapeAsync(_factory);

        var page = await browser.GetAsync("/journey/otp?mode=app");
        for (var i = 0; i < 6; i++)
        {
            await HtmlForm.SubmitAsync(browser, page, new Dictionary<string, string> { ["Code"] = "000000" }, "#otp-form");
        }

        var after = await ScrapeAsync(_factory);
        Assert.That(Increase(before, after, "kosmo_otp_total", "method=\"app\"", "outcome=\"failed\""), Is.EqualTo(5));
        Assert.That(Increase(before, after, "kosmo_otp_total", "method=\"app\"", "outcome=\"locked_out\""), Is.EqualTo(1));
        Assert.That(Increase(before, after, "kosmo_otp_total", "outcome=\"sent\""), Is.Zero, "an app member is mailed nothing");
    }

    [Test]
    public async Task TheScrape_IsPrometheusText_WithAspNetCoreAndDatabaseMetrics_NotAnHtmlPage()
    {
        await _factory.Browser().GetAsync("/login");
        var response = await _factory.Browser().GetAsync("/metrics");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/plain"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(text, Does.Contain("http_server_request_duration_seconds"));
        Assert.That(text, Does.Not.Contain("<html"));
        Assert.That(text, Does.Contain("db_client_operation_duration_seconds"), "Npgsql");
        Assert.That(text, Does.Contain("microsoft_entityframeworkcore_queries_total"), "EF Core");
    }

    [Test]
    public async Task AMailTheProviderRefuses_IsCounted()
    {
        var member = await TestMembers.AddFromRosterAsync(_factory, "M0002", "900", "9", new DateOnly(1970, 1, 1));
        await TestMembers.SkipToAsync(_factory, member, JourneyStep.VerifyEmail);
        var browser = _factory.Browser();
        Assert.That(PathOf(await LoginAsync(browser, "M0002", "900919700101")), Is.EqualTo("/journey/email"));
        var before = await ScrapeAsync(_factory);

        _factory.Mail.Down = true;
        try
        {
            var failed = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/journey/email"), new Dictionary<string, string> { ["Email"] = "m0002@example.jp" });
            Assert.That(failed.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the member is asked to retry");
        }
        finally
        {
            _factory.Mail.Down = false;
        }

        var after = await ScrapeAsync(_factory);
        Assert.That(Increase(before, after, "kosmo_mails_failed_total"), Is.EqualTo(1));
    }
}
