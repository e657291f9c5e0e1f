using System.Globalization;
using System.Net;
using Kosmo.Idp.Journey;
using Kosmo.Idp.Operations.Telemetry;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Kosmo.Idp.Tests.Journey.JourneySteps;

namespace Kosmo.Idp.Tests.Operations;

/// <summary>The Prometheus scrape endpoint, read as Prometheus would, through the real pipeline.</summary>
public sealed class MetricsTests
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
        Assert.That(ValueOf(after, "kosmo_sign_ins_total", "outcome=\"failed\"") - ValueOf(before, "kosmo_sign_ins_total", "outcome=\"failed\""), Is.EqualTo(2));
        Assert.That(ValueOf(after, "kosmo_sign_ins_total", "outcome=\"succeeded\"") - ValueOf(before, "kosmo_sign_ins_total", "outcome=\"succeeded\""), Is.EqualTo(1));
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
        Assert.That(ValueOf(after, "kosmo_mails_failed_total") - ValueOf(before, "kosmo_mails_failed_total"), Is.EqualTo(1));
    }

    [Test]
    public async Task TheDatabasePassword_NeverAppearsInTheScrape()
    {
        // The test server trusts local connections, so a password that is set is simply not needed.
        var connection = new Npgsql.NpgsqlConnectionStringBuilder(await PostgresServer.CreateDatabaseAsync());
        if (string.IsNullOrEmpty(connection.Password))
        {
            connection.Password = "pg-password-not-for-metrics";
        }

        await using var factory = new KosmoFactory(connection.ConnectionString);
        await factory.Browser().GetAsync("/login");
        var text = await ScrapeAsync(factory);
        Assert.That(text, Does.Contain("db_client_connection_count"));
        Assert.That(text, Does.Not.Contain(connection.Password));
    }

    [Test]
    public async Task WithMetricsTurnedOff_ThereIsNoScrapeEndpoint()
    {
        await using var factory = await KosmoFactory.StartAsync(new Dictionary<string, string?> { ["Telemetry:MetricsEnabled"] = "false" });
        Assert.That((await factory.Browser().GetAsync("/metrics")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await factory.Browser().GetAsync("/login")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "the service itself works");
    }

    [Test]
    public async Task WithAMetricsPort_OnlyConnectionsToThatPortAreAnswered_WhateverTheHostHeaderSays()
    {
        await using var factory = await KosmoFactory.StartAsync(
            new Dictionary<string, string?> { ["Telemetry:MetricsPort"] = "9464" },
            services => services.AddSingleton<IStartupFilter, LocalPortFromTestHeader>());

        var publicPort = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        publicPort.Headers.Host = "localhost:9464";
        Assert.That((await factory.Browser().SendAsync(publicPort)).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));

        var metricsPort = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        metricsPort.Headers.Add(LocalPortFromTestHeader.Header, "9464");
        var scraped = await factory.Browser().SendAsync(metricsPort);
        Assert.That(scraped.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await scraped.Content.ReadAsStringAsync(), Does.Contain("# TYPE"));
    }

    [TestCase("Telemetry:MetricsPath", "/connect/metrics")]
    [TestCase("Telemetry:MetricsPath", "metrics")]
    [TestCase("Telemetry:OtlpEndpoint", "ftp://collector.internal/")]
    public void AMisconfiguredSetting_StopsTheStart(string key, string value)
    {
        var failure = Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(async () =>
        {
            await using var factory = await KosmoFactory.StartAsync(new Dictionary<string, string?> { [key] = value });
        });
        Assert.That(failure!.Message, Does.Contain(key));
    }

    [Test]
    public async Task WithAnOtlpEndpoint_TracesAreSetUp_AndACollectorThatIsAway_DoesNotHurtTheService()
    {
        await using var factory = await KosmoFactory.StartAsync(new Dictionary<string, string?> { ["Telemetry:OtlpEndpoint"] = "http://127.0.0.1:9/" });
        Assert.That(factory.Services.GetService<OpenTelemetry.Trace.TracerProvider>(), Is.Not.Null);
        Assert.That((await factory.Browser().GetAsync("/login")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await factory.Browser().GetAsync("/metrics")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public void WithoutAnOtlpEndpoint_NothingIsTraced() =>
        Assert.That(_factory.Services.GetService<OpenTelemetry.Trace.TracerProvider>(), Is.Null);

    [TestCase("email", "email")]
    [TestCase("email: Wrong", "email")]
    [TestCase("app", "app")]
    [TestCase("app setup", "app")]
    [TestCase("recovery", "recovery")]
    [TestCase("recovery code", "recovery")]
    [TestCase("something else", "other")]
    [TestCase(null, "other")]
    public void TheOtpMethod_IsReadFromTheAuditDetail(string? detail, string method) =>
        Assert.That(KosmoMetrics.OtpMethodOf(detail), Is.EqualTo(method));

    private static async Task<string> ScrapeAsync(KosmoFactory factory)
    {
        var response = await factory.Browser().GetAsync("/metrics");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The value of the series with this name whose labels include <paramref name="label"/>; 0 before its first event.</summary>
    private static double ValueOf(string scrape, string name, string? label = null)
    {
        var values = scrape.Split('\n')
            .Where(line => line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal))
            .Where(line => label is null || line.Contains(label, StringComparison.Ordinal))
            .Select(line => line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ')[0])
            .Select(value => double.Parse(value, CultureInfo.InvariantCulture))
            .ToList();
        Assert.That(values, Has.Count.LessThanOrEqualTo(1), $"one series {name} {label}");
        return values.SingleOrDefault();
    }

    /// <summary>TestServer has no real ports: a test header stands for the local port of the connection.</summary>
    private sealed class LocalPortFromTestHeader : IStartupFilter
    {
        public const string Header = "X-Test-Local-Port";

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                context.Connection.LocalPort = int.TryParse(context.Request.Headers[Header], out var port) ? port : 443;
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
