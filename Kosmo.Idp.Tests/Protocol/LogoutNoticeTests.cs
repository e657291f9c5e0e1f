using System.Globalization;
using System.IdentityModel.Tokens.Jwt;
using Kosmo.Idp.Protocol.Logout;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Kosmo.Idp.Tests.Protocol;

/// <summary>
/// Logout tokens outlive an app that is down: the notice is saved with the member's sign-out, and
/// the service itself sends it again (its background sender, on the fake clock) until the app
/// accepts it or twelve hours have passed. Signing everyone out tells the apps the same way.
/// </summary>
[NonParallelizable]
public sealed class LogoutNoticeTests
{
    private const string Password = "Notice-Member-2026";
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private LogoutCatcher _portal = null!;
    private KosmoFactory _factory = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _portal = await LogoutCatcher.StartAsync();
        _factory = await KosmoFactory.StartAsync(
            new Dictionary<string, string?> { ["RelyingApps:Apps:0:BackchannelLogoutUri"] = _portal.Endpoint.AbsoluteUri },
            services => services.AddSingleton<TimeProvider>(_clock));
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _factory.DisposeAsync();
        await _portal.DisposeAsync();
    }

    [TearDown]
    public void BringThePortalBack() => _portal.Down = false;

    [Test]
    public async Task AnAppThatIsDown_DoesNotStopTheMembersSignOut_AndGetsTheLogoutTokenByItselfOnceItIsBack()
    {
        var (app, idToken) = await SignedInAsync("N0001");
        _portal.Down = true;

        var ended = await app.Browser.GetAsync(TestRelyingApp.PortalEndSessionUrl(idToken.RawData));
        Assert.That(ended.Headers.Location!.OriginalString, Does.StartWith(KosmoFactory.PortalPostLogout), "signed out all the same");
        Assert.That(SessionsTold(idToken.Subject), Has.Count.EqualTo(1), "one attempt at once");
        var waiting = (await NoticesOfAsync(idToken.Subject)).Single();
        Assert.That((waiting.Attempts, waiting.LastFailure), Is.EqualTo((1, "HTTP 500")));

        _portal.Down = false;
        _clock.Advance(TimeSpan.FromSeconds(20));
        var early = await SendDueNoticesAsync();
        Assert.That((early.Delivered, SessionsTold(idToken.Subject).Count), Is.EqualTo((0, 1)), "not again before its 30-second back-off");

        _clock.Advance(TimeSpan.FromSeconds(20));
        await UntilAsync(async () => SessionsTold(idToken.Subject).Count == 2 && (await NoticesOfAsync(idToken.Subject)).Count == 0);
        Assert.That(SessionsTold(idToken.Subject), Is.EqualTo(Enumerable.Repeat(SessionOf(idToken), 2)), "the same sign-in, told again");
    }

    [Test]
    public async Task AnOperator_SeesWhichAppHasNotAcceptedLogoutTokens_SinceWhen_AndWhy()
    {
        var (app, idToken) = await SignedInAsync("N0006");
        _portal.Down = true;
        await app.Browser.GetAsync(TestRelyingApp.PortalEndSessionUrl(idToken.RawData));
        var waiting = (await NoticesOfAsync(idToken.Subject)).Single();

        var (exit, output, _) = await OperatorShell.RunAsync(_factory.ConnectionString, "clients", "logout-notices");

        Assert.That(exit, Is.Zero);
        var line = output.Split('\n').Single(l => l.StartsWith(KosmoFactory.PortalClientId + "\t", StringComparison.Ordinal)).TrimEnd().Split('\t');
        Assert.That(int.Parse(line[1], CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(1), "the member's notice is waiting");
        Assert.That(DateTimeOffset.Parse(line[2], CultureInfo.InvariantCulture), Is.LessThanOrEqualTo(waiting.CreatedAt), "oldest sign-out");
        Assert.That(line[5], Is.EqualTo("HTTP 500"), "what the app answered");
        Assert.That(output, Does.Not.Contain(idToken.Subject), "no member is named");
    }

    [Test]
    public async Task AnAppThatStaysDown_IsGivenUpAfterTwelveHours()
    {
        var (app, idToken) = await SignedInAsync("N0002");
        _portal.Down = true;
        await app.Browser.GetAsync(TestRelyingApp.PortalEndSessionUrl(idToken.RawData));
        Assert.That(await NoticesOfAsync(idToken.Subject), Has.Count.EqualTo(1));

        _clock.Advance(TimeSpan.FromHours(11));
        await UntilAsync(async () => (await NoticesOfAsync(idToken.Subject)).SingleOrDefault()?.Attempts == 2);
        Assert.That(SessionsTold(idToken.Subject), Has.Count.EqualTo(2), "tried again while the twelve hours last");

        _clock.Advance(TimeSpan.FromHours(2));
        await UntilAsync(async () => (await NoticesOfAsync(idToken.Subject)).Count == 0);
        Assert.That(SessionsTold(idToken.Subject), Has.Count.EqualTo(3), "one last attempt, then given up");
    }

    [Test]
    public async Task AnAppThatIsDown_IsNotPostedEveryNoticeOfARound_TheRestWaitForTheirNextAttempt()
    {
        // Thirty sign-ins ended at once, as signing everyone out does, while the app is down.
        var subjects = Enumerable.Range(0, 30).Select(_ => Guid.NewGuid().ToString()).ToList();
        var now = _clock.GetUtcNow();
        await TestMembers.WithDbAsync(_factory, async db =>
        {
            var portal = await db.Set<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreApplication>()
                .SingleAsync(a => a.ClientId == KosmoFactory.PortalClientId);
            db.LogoutNotices.AddRange(subjects.Select(subject => new LogoutNotice
            {
                Id = Guid.NewGuid(), ApplicationId = portal.Id!, Subject = subject, SessionId = "s-" + subject,
                Issuer = "http://localhost/", CreatedAt = now, NextAttemptAt = now,
            }));
            return await db.SaveChangesAsync();
        });
        _portal.Down = true;

        await SendDueNoticesAsync();

        var posted = _portal.Tokens.Count(raw => subjects.Contains(new JwtSecurityTokenHandler().ReadJwtToken(raw).Subject));
        Assert.That(posted, Is.InRange(3, 10), "a few failures (eight posts run at once), then no more posts this round");
        var waiting = await TestMembers.WithDbAsync(_factory, db => db.LogoutNotices.AsNoTracking().Where(n => subjects.Contains(n.Subject)).ToListAsync());
        Assert.That(waiting.Select(n => n.Attempts), Is.All.EqualTo(1), "every one counts an attempt");
        Assert.That(waiting.Select(n => (n.NextAttemptAt - now).TotalSeconds), Is.All.EqualTo(30).Within(0.001), "and waits for the next one");
        Assert.That(waiting.Count(n => n.LastFailure == "not posted: the app failed this round"), Is.EqualTo(30 - posted));

        // Out of the way of the other tests' rounds on the same clock.
        await TestMembers.WithDbAsync(_factory, db => db.LogoutNotices.Where(n => subjects.Contains(n.Subject)).ExecuteDeleteAsync());
    }

    [Test]
    public async Task WhileAnotherReplicaIsSending_APassStepsAside_AndTheNoticeIsSentOnce()
    {
        var (app, idToken) = await SignedInAsync("N0005");
        _portal.Down = true;
        await app.Browser.GetAsync(TestRelyingApp.PortalEndSessionUrl(idToken.RawData));
        _portal.Down = false;

        await using var otherReplica = new NpgsqlConnection(_factory.ConnectionString);
        await otherReplica.OpenAsync();
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({LogoutNoticeDispatcher.LockKey})", otherReplica))
        {
            await take.ExecuteScalarAsync();
        }

        _clock.Advance(TimeSpan.FromMinutes(1));
        await using (var scope = _factory.Services.CreateAsyncScope())
        {
            Assert.That(await scope.ServiceProvider.GetRequiredService<LogoutNoticeDispatcher>().RunOnceAsync(CancellationToken.None), Is.Null,
                "skipped while the other replica holds the lock");
        }

        Assert.That((await NoticesOfAsync(idToken.Subject)).Single().Attempts, Is.EqualTo(1), "nothing sent meanwhile, not even by the background pass");

        await using (var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({LogoutNoticeDispatcher.LockKey})", otherReplica))
        {
            await release.ExecuteScalarAsync();
        }

        // This pass or the background one (if it only got to the lock now) sends it; the other finds nothing due.
        await SendDueNoticesAsync();
        await UntilAsync(async () => (await NoticesOfAsync(idToken.Subject)).Count == 0);
        Assert.That(SessionsTold(idToken.Subject), Has.Count.EqualTo(2), "the failed attempt, then one more");
    }

    [Test]
    public async Task SigningEveryoneOut_TellsTheAppOfEachSignIn_ThroughTheRunningService()
    {
        var (_, first) = await SignedInAsync("N0003");
        var (_, second) = await SignedInAsync("N0004");

        var (exit, output, errors) = await OperatorShell.RunAsync(_factory.ConnectionString,
            new Dictionary<string, string?> { ["Protocol__Issuer"] = "http://localhost/" }, "members", "sign-out-everyone", "--yes");
        Assert.That(exit, Is.Zero, output + errors);
        Assert.That(output, Does.Match(@"\d+ logout notice\(s\) queued"));
        Assert.That(SessionsTold(first.Subject).Concat(SessionsTold(second.Subject)), Is.Empty, "the command only saves them");

        // The command ran on the real clock; the service's fake one is taken past its notices.
        var due = await TestMembers.WithDbAsync(_factory, db => db.LogoutNotices.MaxAsync(n => n.NextAttemptAt));
        if (due > _clock.GetUtcNow())
        {
            _clock.SetUtcNow(due);
        }

        _clock.Advance(TimeSpan.FromMinutes(1));
        await UntilAsync(() => Task.FromResult(SessionsTold(first.Subject).Count == 1 && SessionsTold(second.Subject).Count == 1));
        Assert.That(SessionsTold(first.Subject).Single(), Is.EqualTo(SessionOf(first)));
        Assert.That(SessionsTold(second.Subject).Single(), Is.EqualTo(SessionOf(second)));
    }

    private async Task<(TestRelyingApp App, JwtSecurityToken IdToken)> SignedInAsync(string userId)
    {
        await TestMembers.AddAsync(_factory, userId, Password);
        var app = TestRelyingApp.Portal(_factory);
        return (app, await app.SignedInAsync(userId, Password));
    }

    private static string SessionOf(JwtSecurityToken token) => token.Claims.Single(c => c.Type == "sid").Value;

    /// <summary>The sid of every logout token the portal received for the member (the catcher records refused ones too).</summary>
    private List<string> SessionsTold(string subject) =>
        [.. _portal.Tokens.Select(raw => new JwtSecurityTokenHandler().ReadJwtToken(raw)).Where(t => t.Subject == subject).Select(SessionOf)];

    private Task<List<LogoutNotice>> NoticesOfAsync(string subject) =>
        TestMembers.WithDbAsync(_factory, db => db.LogoutNotices.AsNoTracking().Where(n => n.Subject == subject).ToListAsync());

    /// <summary>One pass of the dispatcher, as soon as the background one (started by the same clock move) is not running.</summary>
    private async Task<LogoutDeliveryReport> SendDueNoticesAsync()
    {
        LogoutDeliveryReport? report = null;
        await UntilAsync(async () =>
        {
            await using var scope = _factory.Services.CreateAsyncScope();
            report = await scope.ServiceProvider.GetRequiredService<LogoutNoticeDispatcher>().RunOnceAsync(CancellationToken.None);
            return report is not null;
        });
        return report!;
    }

    /// <summary>Waits for the service's background sender, which runs when the fake clock passes its interval.</summary>
    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        for (var waited = TimeSpan.Zero; waited < TimeSpan.FromSeconds(20); waited += TimeSpan.FromMilliseconds(100))
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail("the background sender did not get there within 20 seconds");
    }
}
