using Kosmo.Idp.Operations.Health;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Kosmo.Idp.Tests.Operations;

/// <summary>
/// The `health` command of the container HEALTHCHECK, against a small local Kestrel endpoint that
/// answers like the service's /health/ready (200 or 503), or not in time. No database, no settings:
/// the command must not need them.
/// </summary>
[NonParallelizable] // captures the console, as the other command-line tests do
public sealed class HealthProbeTests
{
    private WebApplication _endpoint = null!;
    private Uri _base = null!;

    [OneTimeSetUp]
    public async Task StartEndpointAsync()
    {
        (_endpoint, _base) = await LocalServer.StartAsync(endpoint =>
        {
            endpoint.MapGet("/ready", () => Results.Text("Healthy"));
            endpoint.MapGet("/unready", () => Results.Text("Unhealthy: The database cannot be reached.", statusCode: StatusCodes.Status503ServiceUnavailable));
            endpoint.MapGet("/moved", () => Results.Redirect("/ready"));
            endpoint.MapGet("/slow", async (CancellationToken aborted) =>
            {
                await Task.Delay(TimeSpan.FromSeconds(10), aborted);
                return Results.Text("Healthy");
            });
        });
    }

    [OneTimeTearDown]
    public async Task StopEndpointAsync() => await _endpoint.DisposeAsync();

    [Test]
    public async Task Health_WhenTheEndpointAnswers200_ExitsZero_WithOneLine()
    {
        var (exit, output, errors) = await RunCommandAsync("health", "--url", new Uri(_base, "/ready").ToString());

        Assert.That(exit, Is.Zero, errors);
        Assert.That(output.TrimEnd(), Does.StartWith("Healthy:").And.Not.Contain('\n'));
    }

    [Test]
    public async Task Health_WhenTheEndpointAnswers503_ExitsOne_AndSaysTheStatus()
    {
        var (exit, _, errors) = await RunCommandAsync("health", "--url", new Uri(_base, "/unready").ToString());

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(errors.TrimEnd(), Does.StartWith("Unhealthy:").And.Contain("503").And.Not.Contain('\n'));
        Assert.That(errors, Does.Contain("The database cannot be reached."), "the endpoint's own reason, so the operator need not ask it again");
    }

    [Test]
    public async Task Health_WhenNothingListens_ExitsOne()
    {
        var port = FreePorts.Next();
        var (exit, _, errors) = await RunCommandAsync("health", "--url", $"http://127.0.0.1:{port}/health/ready");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(errors, Does.Contain("cannot be reached"));
    }

    [Test]
    public async Task Health_ARedirect_IsNotHealthy()
    {
        var (exit, _, errors) = await RunCommandAsync("health", "--url", new Uri(_base, "/moved").ToString());

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(errors, Does.Contain("302"));
    }

    [Test]
    public async Task Probe_WhenTheEndpointIsTooSlow_ExitsOne_WithinTheTimeout()
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var exit = await HealthProbe.RunAsync(new Uri(_base, "/slow").ToString(), output, errors, TimeSpan.FromMilliseconds(300));

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(errors.ToString(), Does.Contain("did not answer within"));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
    }

    [Test]
    public void Probe_DefaultsAreThePortOfTheImage_AndThreeSeconds()
    {
        Assert.That(HealthProbe.DefaultUrl, Is.EqualTo("http://localhost:8080/health/ready"));
        Assert.That(HealthProbe.DefaultTimeout, Is.EqualTo(TimeSpan.FromSeconds(3)));
    }

    [Test]
    public async Task Health_WithANonHttpUrl_IsBadUsage()
    {
        var (exit, _, errors) = await RunCommandAsync("health", "--url", "ftp://localhost/health");

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors, Does.Contain("--url"));
    }

    // The health command builds no host, so no database is given.
    private static Task<(int Exit, string Output, string Errors)> RunCommandAsync(params string[] args) =>
        OperatorShell.RunAsync(connectionString: "", args);
}
