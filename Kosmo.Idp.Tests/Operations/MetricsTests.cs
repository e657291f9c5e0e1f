using System.Net;
using Kosmo.Idp.Operations.Telemetry;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using static Kosmo.Idp.Tests.Infrastructure.MetricsScrape;

namespace Kosmo.Idp.Tests.Operations;

/// <summary>
/// The Prometheus scrape endpoint's settings and what it never shows, through the real pipeline.
/// Most tests start a host of their own; what the service counts is in <see cref="MetricsCountingTests"/>.
/// </summary>
public sealed class MetricsTests
{
    private KosmoFactory _factory = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _factory = await KosmoFactory.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _factory.DisposeAsync();

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
    public void EveryPathTheServiceAnswers_IsRefusedAsTheMetricsPath()
    {
        // The pages' and the demo app's routes, and the static files' folders: a scrape path among them
        // would hide a page (or make its route ambiguous, a 500 on /logout for every app's sign-out).
        var routes = _factory.Services.GetRequiredService<Microsoft.AspNetCore.Routing.EndpointDataSource>().Endpoints
            .OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>()
            .Select(endpoint => endpoint.RoutePattern.RawText ?? "");
        var folders = Directory.GetDirectories(Path.Combine(RepositoryPaths.Root, "Kosmo.Idp", "wwwroot")).Select(Path.GetFileName);
        var firstSegments = routes.Concat(folders!).Select(path => path!.TrimStart('/').Split('/')[0])
            .Where(segment => segment.Length > 0 && !segment.StartsWith('{') && segment != "metrics").Distinct().ToList();
        Assert.That(firstSegments, Does.Contain("logout").And.Contain("journey").And.Contain("css"), "the routes were found");

        var validation = new TelemetryOptionsValidation();
        Assert.Multiple(() =>
        {
            foreach (var segment in firstSegments)
            {
                Assert.That(validation.Validate(null, new TelemetryOptions { MetricsPath = "/" + segment }).Failed, Is.True, "/" + segment);
            }
        });
        Assert.That(validation.Validate(null, new TelemetryOptions { MetricsPath = "/metrics" }).Succeeded, Is.True);
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

        var page = new HttpRequestMessage(HttpMethod.Get, "/login");
        page.Headers.Add(LocalPortFromTestHeader.Header, "9464");
        Assert.That((await factory.Browser().SendAsync(page)).StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "the metrics port serves no page");
        var probe = new HttpRequestMessage(HttpMethod.Get, "/health/live");
        probe.Headers.Add(LocalPortFromTestHeader.Header, "9464");
        Assert.That((await factory.Browser().SendAsync(probe)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task WithAllowedHosts_OtherHostsAreRefused_ExceptHealthChecksAndTheMetricsPort()
    {
        await using var factory = await KosmoFactory.StartAsync(
            new Dictionary<string, string?> { ["AllowedHosts"] = "id.test", ["Telemetry:MetricsPort"] = "9464" },
            services => services.AddSingleton<IStartupFilter, LocalPortFromTestHeader>());

        async Task<HttpStatusCode> StatusAsync(string path, string host, string? localPort = null)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Host = host;
            if (localPort is not null)
            {
                request.Headers.Add(LocalPortFromTestHeader.Header, localPort);
            }

            return (await factory.Browser().SendAsync(request)).StatusCode;
        }

        Assert.That(await StatusAsync("/login", "id.test"), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await StatusAsync("/login", "10.1.2.3:8080"), Is.EqualTo(HttpStatusCode.BadRequest), "a page for another host");
        Assert.That(await StatusAsync("/.well-known/openid-configuration", "evil.example"), Is.EqualTo(HttpStatusCode.BadRequest), "discovery for another host");
        Assert.That(await StatusAsync("/health/ready", "10.1.2.3:8080"), Is.EqualTo(HttpStatusCode.OK), "a probe by the pod's IP");
        Assert.That(await StatusAsync("/health/live", "10.1.2.3:8080"), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await StatusAsync("/metrics", "10.1.2.3:9464", localPort: "9464"), Is.EqualTo(HttpStatusCode.OK), "Prometheus by the pod's IP");
        Assert.That(await StatusAsync("/login", "10.1.2.3:9464", localPort: "9464"), Is.EqualTo(HttpStatusCode.BadRequest), "only the scrape path on that port");

        var refusal = new HttpRequestMessage(HttpMethod.Get, "/login");
        refusal.Headers.Host = "evil.example";
        var refused = await factory.Browser().SendAsync(refusal);
        Assert.That(refused.Headers.GetValues("Content-Security-Policy").Single(), Does.Contain("frame-ancestors 'none'"), "the refusal has the headers of every answer");
        Assert.That(refused.Headers.GetValues("X-Content-Type-Options"), Does.Contain("nosniff"));
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
