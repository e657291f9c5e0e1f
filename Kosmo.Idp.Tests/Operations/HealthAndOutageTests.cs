using System.Net;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Kosmo.Idp.Tests.Operations;

public sealed class HealthAndOutageTests
{
    [Test]
    public async Task Live_AndReady_AreHealthy_OnAFreshDatabase()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var browser = factory.Browser();
        Assert.That((await browser.GetAsync("/health/live")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var ready = await browser.GetAsync("/health/ready");
        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await ready.Content.ReadAsStringAsync(), Is.EqualTo("Healthy"));
        Assert.That(factory.Logs.Events.Where(e => e.Contains("Failed executing DbCommand")), Is.Empty,
            "migrating a new database logs no error (EF Core would read the missing history table first)");
    }

    [Test]
    public async Task ARequestThatWaitedTooLongForAnotherOnTheSameMember_SaysTryAgain_WithTheWayBack_AndIsNoOutage()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var member = await TestMembers.AddAsync(factory, "K0001", "Busy-Member-2026");
        var browser = factory.Browser();
        Assert.That(Kosmo.Idp.Tests.Journey.JourneySteps.PathOf(await Kosmo.Idp.Tests.Journey.JourneySteps.LoginAsync(browser, "K0001", "Busy-Member-2026")), Is.EqualTo("/journey/otp"));

        // Another request (a double submit, a stuck replica) holds the member's mail lock.
        await using var holder = new Npgsql.NpgsqlConnection(factory.ConnectionString);
        await holder.OpenAsync();
        await using (var take = new Npgsql.NpgsqlCommand($"SELECT pg_advisory_lock({0x4B49}, hashtext('mail:{member.Id:N}'))", holder))
        {
            await take.ExecuteNonQueryAsync();
        }

        var page = await browser.GetAsync("/journey/otp?ReturnUrl=%2Faccount");
        var html = await page.Content.ReadAsStringAsync();
        await using (var release = new Npgsql.NpgsqlCommand($"SELECT pg_advisory_unlock({0x4B49}, hashtext('mail:{member.Id:N}'))", holder))
        {
            await release.ExecuteNonQueryAsync();
        }

        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(html, Does.Contain("ただいま処理が混み合っています").And.Not.Contain("システムが一時的に利用できない"));
        Assert.That(html, Does.Contain("id=\"error-retry\"").And.Contain("href=\"/journey/otp?ReturnUrl=%2Faccount\""));
        Assert.That((await browser.GetAsync("/health/ready")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        // The request's own event (EF Core's line for the lock timeout carries the path too, and its elapsed ms may read 503x).
        var logged = factory.Logs.Leveled
            .Where(e => e.Text.Contains("RequestLoggingMiddleware") && e.Text.Contains("RequestPath=\"/journey/otp\"") && e.Text.Contains("StatusCode=503"))
            .Select(e => e.Level).ToList();
        Assert.That(logged, Is.EqualTo(new[] { Serilog.Events.LogEventLevel.Warning }), "contention, not an outage to alert on");
        Assert.That(factory.Logs.Leveled.Where(e => e.Level >= Serilog.Events.LogEventLevel.Error).Select(e => e.Text), Is.Empty, "nor does EF Core raise one");
        Assert.That((await browser.GetAsync("/journey/otp")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "the same page again works");
    }

    [Test]
    public async Task OnANewDatabaseWaitingForMigrate_LiveIsHealthy_ReadySaysWhy_PagesSayStarting_ThenAllWorksOnceMigrated()
    {
        var connection = await PostgresServer.CreateDatabaseAsync();
        await using var factory = new KosmoFactory(connection, new Dictionary<string, string?>
        {
            ["Database:MigrateOnStart"] = "false",
            ["Keys:RefreshInterval"] = "00:00:01",
            ["BackchannelLogout:PollInterval"] = "00:00:01",
            ["Pruning:Interval"] = "00:01:00",
        });
        var browser = factory.Browser();

        Assert.That((await browser.GetAsync("/health/live")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "liveness checks nothing: no restarts while the job runs");
        var notReady = await browser.GetAsync("/health/ready");
        Assert.That(notReady.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(await notReady.Content.ReadAsStringAsync(), Does.Contain("run `migrate`"), "the probe says why");
        var page = await browser.GetAsync("/login");
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(await page.Content.ReadAsStringAsync(), Does.Contain("<html lang=\"ja\"").And.Contain("ただいま準備中です"));
        var inEnglish = new HttpRequestMessage(HttpMethod.Get, "/login");
        inEnglish.Headers.Add("Cookie", "kosmo_language=c%3Den%7Cuic%3Den");
        Assert.That(await (await browser.SendAsync(inEnglish)).Content.ReadAsStringAsync(),
            Does.Contain("<html lang=\"en\"").And.Contain("The service is starting"), "in the language the member chose");
        Assert.That((await browser.GetAsync("/.well-known/openid-configuration")).StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(factory.Logs.Leveled.Where(e => e.Text.Contains("RequestLoggingMiddleware") && e.Text.Contains("RequestPath=\"/login\"")).Select(e => e.Level),
            Is.Not.Empty.And.All.EqualTo(Serilog.Events.LogEventLevel.Warning), "waiting for migrate is known and reported by readiness, not an error per request");
        var scraped = await browser.GetAsync("/metrics");
        Assert.That(scraped.StatusCode, Is.EqualTo(HttpStatusCode.OK), "a replica waiting for migrate is still scraped");
        Assert.That(await scraped.Content.ReadAsStringAsync(), Does.Contain("kosmo_"));
        Assert.That(factory.Logs.Events.Where(e => e.Contains("Failed executing DbCommand") && e.Contains("__EFMigrationsHistory")), Is.Empty,
            "a missing history table is the expected state, not an error in the log at every probe");
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.That(factory.Logs.Events.Where(e => e.Contains("Sending logout notices failed") || e.Contains("Could not refresh the protocol keys")), Is.Empty,
            "the background work waits for the schema too, instead of failing on a timer");

        var migrated = await OperatorShell.RunAsync(connection, "migrate");
        Assert.That(migrated.Exit, Is.Zero, migrated.Errors);
        for (var waited = 0; waited < 100 && (await browser.GetAsync("/health/ready")).StatusCode != HttpStatusCode.OK; waited++)
        {
            await Task.Delay(100);
        }

        Assert.That((await browser.GetAsync("/health/ready")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "keys picked up without a restart");
        Assert.That((await browser.GetAsync("/login")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        TokenResponse token = null!;
        for (var waited = 0; waited < 100; waited++)
        {
            token = await TestRelyingApp.Portal(factory).TokenAsync(new Dictionary<string, string?> { ["grant_type"] = "client_credentials" });
            if (token.Status == HttpStatusCode.OK)
            {
                break;
            }

            await Task.Delay(100);
        }

        Assert.That(token.Status, Is.EqualTo(HttpStatusCode.OK), "the configured apps were synced without a restart: " + token.Body);
    }

    [Test]
    public async Task WhenTheDatabaseGoesAway_ReadyFails_AndAMemberSeesAClearPage_NotAStackTrace()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var browser = factory.Browser();
        var loginPage = await browser.GetAsync("/login");
        await TestMembers.AddAsync(factory, "O0001", "Outage-Member-2026");
        var member = factory.Browser();
        var signedIn = await OtpMail.CompleteAsync(factory, member, await Journey.JourneySteps.LoginAsync(member, "O0001", "Outage-Member-2026"), "o0001@example.jp");
        Assert.That(Journey.JourneySteps.PathOf(signedIn), Is.EqualTo("/"));

        await PostgresServer.DropDatabaseAsync(factory.ConnectionString);

        Assert.That((await browser.GetAsync("/health/ready")).StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That((await browser.GetAsync("/health/live")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "the process itself is fine");

        var response = await HtmlForm.SubmitAsync(browser, loginPage, new Dictionary<string, string> { ["UserId"] = "X1", ["Password"] = "whatever-1" });
        var html = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(html, Does.Contain("ただいまサービスを利用できません"));
        Assert.That(html, Does.Not.Contain("Npgsql").And.Not.Contain("   at "));

        // A signed-in member: the cookie's check needs the database too, and the page still comes.
        var account = await member.GetAsync("/account");
        Assert.That(account.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(await account.Content.ReadAsStringAsync(), Does.Contain("ただいまサービスを利用できません"));
        var requestEvents = factory.Logs.Events.Where(e => e.Contains("RequestLoggingMiddleware") && e.Contains("RequestPath=\"/account\"")).ToList();
        Assert.That(requestEvents, Has.Count.EqualTo(1), "one event per request, the error page's re-execution included");
        Assert.That(requestEvents[0], Does.Contain("StatusCode=503"), "with the status the member got");
        Assert.That(factory.Logs.Leveled.Where(e => e.Text.Contains("RequestLoggingMiddleware") && e.Text.Contains("RequestPath=\"/account\"")).Select(e => e.Level),
            Is.EqualTo(new[] { Serilog.Events.LogEventLevel.Error }), "an outage is an error of every request it fails, for the error-rate alert");
        Assert.That(factory.Logs.Events, Has.None.Contains("SourceContext=\"Microsoft.AspNetCore.Diagnostics.ExceptionHandlerMiddleware\""), "the cause goes with the request's event, not in one more");

        // An app asking whether the member is signed in learns nothing false: no login_required, no code.
        var silent = await member.GetAsync(TestRelyingApp.Portal(factory).AuthorizeUrl(Pkce.Create(), new Dictionary<string, string?> { ["prompt"] = "none" }));
        Assert.That(silent.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), silent.Headers.Location?.ToString());

        // An app's back channel gets OAuth's JSON, not the page.
        var token = await TestRelyingApp.Portal(factory).TokenAsync(new Dictionary<string, string?> { ["grant_type"] = "client_credentials" });
        Assert.That((token.Status, token.Error), Is.EqualTo((HttpStatusCode.ServiceUnavailable, "temporarily_unavailable")));
    }

    [Test]
    public async Task WhenTheServiceIsToldToStop_ReadinessFailsFirst_WhileRequestsAreStillServed()
    {
        // The requests below must fit in the drain even on a busy machine (a CI run once took longer
        // than 3 s over them): a longer drain, and the login page rendered once before.
        await using var factory = await KosmoFactory.StartAsync(new Dictionary<string, string?> { ["Shutdown:DrainDelay"] = "00:00:06" });
        var client = factory.Browser();
        Assert.That((await client.GetAsync("/health/ready")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await client.GetAsync("/login")).StatusCode, Is.EqualTo(HttpStatusCode.OK));

        var lifetime = factory.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>();
        var stopping = Task.Run(lifetime.StopApplication);
        await Task.Delay(300);

        Assert.That((await client.GetAsync("/health/ready")).StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), "the load balancer takes it out");
        Assert.That((await client.GetAsync("/health/live")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "it is not restarted");
        Assert.That((await client.GetAsync("/login")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "members already sent here are still served");
        await stopping;
    }
}
