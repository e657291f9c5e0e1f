using System.Net;
using System.Text.Json;
using Kosmo.Idp.Protocol.Keys;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.Extensions.DependencyInjection;
using static Kosmo.Idp.Tests.Journey.JourneySteps;

namespace Kosmo.Idp.Tests.Operations;

/// <summary>
/// Two provider hosts on one PostgreSQL, as behind a load balancer: whatever one replica knows
/// (sessions, codes, tokens, keys, lockouts, limits) the other knows too. They share this test
/// process, so PublishedOutputTests also runs two real processes of the published output.
/// </summary>
public sealed class TwoReplicaTests
{
    private KosmoFactory _a = null!;
    private KosmoFactory _b = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var connection = await PostgresServer.CreateDatabaseAsync();
        var settings = new Dictionary<string, string?> { ["Keys:RefreshInterval"] = "00:00:01" };
        _a = new KosmoFactory(connection, settings);
        _ = _a.Server;
        _b = new KosmoFactory(connection, settings);
        _ = _b.Server;
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }

    [Test]
    public async Task TwoReplicasStartingAtOnceOnAnEmptyDatabase_BothStart_AndShareOneSetOfKeysAndApps()
    {
        // Several rounds: the first deploy with two replicas, or two pods scaled up together.
        for (var round = 0; round < 3; round++)
        {
            var connection = await PostgresServer.CreateDatabaseAsync();
            var replicas = new[] { new KosmoFactory(connection), new KosmoFactory(connection) };
            try
            {
                await Task.WhenAll(replicas.Select(replica => Task.Run(() => _ = replica.Server)));

                var keys = await TestMembers.WithDbAsync(replicas[0], db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(db.ProtocolKeys));
                Assert.That(keys.GroupBy(k => k.Purpose).Select(g => g.Count()), Is.All.EqualTo(1), $"round {round}: one key per purpose");
                var discovery = await Task.WhenAll(replicas.Select(r => r.Browser().GetStringAsync("/.well-known/jwks")));
                Assert.That(discovery[0], Is.EqualTo(discovery[1]), $"round {round}: the same JWKS");
            }
            finally
            {
                foreach (var replica in replicas)
                {
                    await replica.DisposeAsync();
                }
            }
        }
    }

    [Test]
    public async Task AMemberStartsOnOneReplica_AndFinishesOnTheOther_AndTheTokensWorkOnBoth()
    {
        await TestMembers.AddAsync(_a, "M0001", "Replica-Member-2026");
        var (onA, onB) = OneBrowserAcrossReplicas();
        var appA = TestRelyingApp.Portal(_a);
        var appB = TestRelyingApp.Portal(_b);
        var pkce = Pkce.Create();

        var authorize = await onA.GetAsync(appA.AuthorizeUrl(pkce));
        var loginPage = await onA.GetAsync(authorize.Headers.Location);
        var afterPassword = await HtmlForm.SubmitAsync(onB, loginPage, new Dictionary<string, string> { ["UserId"] = "M0001", ["Password"] = "Replica-Member-2026" });
        Assert.That(PathOf(afterPassword), Is.EqualTo("/journey/otp"), "B accepted A's form and antiforgery token");

        var otpPage = await onA.GetAsync(afterPassword.Headers.Location);
        Assert.That(otpPage.StatusCode, Is.EqualTo(HttpStatusCode.OK), "A reads the session cookie B issued");
        var afterOtp = await HtmlForm.SubmitAsync(onB, otpPage, new Dictionary<string, string> { ["Code"] = OtpMail.LatestCode(_a, "m0001@example.jp") }, "#otp-form");
        var callback = AuthorizationResponse.From(await onA.GetAsync(afterOtp.Headers.Location), KosmoFactory.PortalRedirect);
        Assert.That(callback.Code, Is.Not.Null);

        var tokens = await appB.RedeemAsync(callback.Code!, pkce.Verifier);
        Assert.That(tokens.Status, Is.EqualTo(HttpStatusCode.OK), "a code from A is redeemed on B");
        var refreshed = await appA.RefreshAsync(tokens.RefreshToken!);
        Assert.That(refreshed.Status, Is.EqualTo(HttpStatusCode.OK), "a refresh token from B is used on A");
        Assert.That((await appB.RefreshAsync(tokens.RefreshToken!)).Error, Is.EqualTo("invalid_grant"), "and is then spent on B too");
    }

    [Test]
    public async Task AKeyRotatedOnOneReplica_IsPublishedByBoth()
    {
        ProtocolKey rotated;
        await using (var scope = _a.Services.CreateAsyncScope())
        {
            rotated = await scope.ServiceProvider.GetRequiredService<ProtocolKeyStore>().RotateSigningKeyAsync(TimeSpan.FromHours(1), CancellationToken.None);
        }

        // Each replica re-reads the keys every Keys:RefreshInterval (1 s here, 1 min by default).
        var deadline = DateTime.UtcNow.AddSeconds(15);
        bool onA, onB;
        do
        {
            await Task.Delay(250);
            onA = (await _a.Browser().GetStringAsync("/.well-known/jwks")).Contains(rotated.KeyId, StringComparison.Ordinal);
            onB = (await _b.Browser().GetStringAsync("/.well-known/jwks")).Contains(rotated.KeyId, StringComparison.Ordinal);
        }
        while (!(onA && onB) && DateTime.UtcNow < deadline);

        Assert.That((onA, onB), Is.EqualTo((true, true)));
    }

    [Test]
    public async Task AMemberLockedOutOnOneReplica_IsLockedOutOnTheOther()
    {
        await TestMembers.AddAsync(_a, "M0002", "Replica-Member-2026");
        for (var i = 0; i < 6; i++)
        {
            await LoginAsync(_a.Browser(), "M0002", "wrong-password");
        }

        var refused = await LoginAsync(_b.Browser(), "M0002", "Replica-Member-2026");
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(ErrorOn(await refused.Content.ReadAsStringAsync(), "login-error"), Does.Contain("一時的にログインできません"));
    }

    [Test]
    public async Task ResendCooldownsAndTryLimits_HoldAcrossReplicas()
    {
        await TestMembers.AddAsync(_a, "M0003", "Replica-Member-2026");
        var (onA, onB) = OneBrowserAcrossReplicas();
        await HtmlForm.SubmitAsync(onA, await onA.GetAsync("/login"), new Dictionary<string, string> { ["UserId"] = "M0003", ["Password"] = "Replica-Member-2026" });
        var otpPage = await onA.GetAsync("/journey/otp");
        Assert.That(ErrorOn(await otpPage.Content.ReadAsStringAsync(), "otp-notice"), Does.Contain("送信しました"));

        var resendOnB = await HtmlForm.SubmitAsync(onB, otpPage, new Dictionary<string, string>(), "#otp-resend-form");
        Assert.That(ErrorOn(await resendOnB.Content.ReadAsStringAsync(), "otp-send-error"), Does.Contain("秒ほどお待ちください"), "A's mail counts on B");

        var code = OtpMail.LatestCode(_a, "m0003@example.jp");
        var wrong = code == "000000" ? "111111" : "000000";
        for (var i = 0; i < 5; i++)
        {
            var replica = i % 2 == 0 ? onA : onB;
            await HtmlForm.SubmitAsync(replica, await replica.GetAsync("/journey/otp"), new Dictionary<string, string> { ["Code"] = wrong }, "#otp-form");
        }

        var dead = await HtmlForm.SubmitAsync(onB, await onB.GetAsync("/journey/otp"), new Dictionary<string, string> { ["Code"] = code }, "#otp-form");
        Assert.That(ErrorOn(await dead.Content.ReadAsStringAsync(), "otp-error"), Does.Contain("使えなくなりました"), "five wrong tries across both replicas");
    }

    /// <summary>One browser (one cookie jar) whose requests the load balancer sends to either replica.</summary>
    private (HttpClient OnA, HttpClient OnB) OneBrowserAcrossReplicas()
    {
        var cookies = new CookieContainer();
        var onA = _a.CreateDefaultClient(new Uri("http://localhost"), new CookieContainerHandler(cookies));
        var onB = _b.CreateDefaultClient(new Uri("http://localhost"), new CookieContainerHandler(cookies));
        return (onA, onB);
    }
}
