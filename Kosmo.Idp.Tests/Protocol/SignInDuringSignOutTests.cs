using Microsoft.AspNetCore.Builder;
using Kosmo.Idp.Persistence;
using Kosmo.Idp.Protocol;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static Kosmo.Idp.Tests.Journey.JourneySteps;

namespace Kosmo.Idp.Tests.Protocol;

/// <summary>
/// An operator's sign-out (or a reset) and an app's silent sign-in arriving at the same moment, on
/// two replicas: the sign-in must not come out of it alive.
/// </summary>
public sealed class SignInDuringSignOutTests
{
    private const string Password = "Race-Member-2026";

    [Test]
    public async Task ASignInAskedForWhileTheMembersSessionsAreBeingEnded_WaitsAndIsRefused_InsteadOfOutlivingTheSignOut()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var member = await TestMembers.AddAsync(factory, "S0003", Password);
        var portal = TestRelyingApp.Portal(factory);
        Assert.That((await portal.SignInAsync("S0003", Password, Pkce.Create())).Code, Is.Not.Null);

        // What members sign-out does, held open before its commit.
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KosmoDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync();
        var stored = await db.Members.SingleAsync(m => m.Id == member.Id);
        await scope.ServiceProvider.GetRequiredService<SessionTermination>().EndAllAsync(stored, sparedSessionId: null, CancellationToken.None);
        await db.SaveChangesAsync();

        // Meanwhile the portal asks again, silently, as it does on a timer.
        var answer = await AskedSilentlyBeforeAsync(portal, portal.Browser, () => transaction.CommitAsync());
        Assert.That(answer.Code, Is.Null, "a code made beside the sign-out would redeem after it");
        Assert.That(answer.Error, Is.EqualTo("login_required"));
    }

    [Test]
    public async Task SigningOutTheOtherDevicesOnTheAccountPage_WhileTheirAppAsksSilently_LeavesThatAppNoLiveSignIn()
    {
        await using var factory = await KosmoFactory.StartAsync();
        await TestMembers.AddAsync(factory, "R0024", Password);
        var phone = factory.Browser();
        Assert.That(PathOf(await OtpMail.CompleteAsync(factory, phone, await LoginAsync(phone, "R0024", Password), "r0024@example.jp")), Is.EqualTo("/"));
        var pc = factory.Browser();
        Assert.That(PathOf(await OtpMail.CompleteAsync(factory, pc, await LoginAsync(pc, "R0024", Password), "r0024@example.jp")), Is.EqualTo("/"));
        var accountPage = await pc.GetAsync("/account");

        // The account page's save held up, as by a slow database: its audit insert waits on the table.
        await using var hold = await HoldTableAsync(factory, "audit_events");
        var signOutOthers = HtmlForm.SubmitAsync(pc, accountPage, new Dictionary<string, string>(), "form[action*=SignOutOthers]");
        await Task.Delay(TimeSpan.FromSeconds(1));
        var answer = await AskedSilentlyBeforeAsync(TestRelyingApp.Portal(factory), phone, () => hold.Transaction.CommitAsync());

        Assert.That((await signOutOthers).Headers.Location!.OriginalString, Does.Contain("done=signed-out"));
        Assert.That(answer.Code, Is.Null, "the phone's app would keep tokens that outlive 'sign out other devices'");
        Assert.That(answer.Error, Is.EqualTo("login_required"));
    }

    [Test]
    public async Task TwoSignOutsAtOnce_TheMembersOwnAndAnOperators_LeaveNoSessionAlive()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var member = await TestMembers.AddAsync(factory, "R0025", Password);
        var browser = factory.Browser();
        Assert.That(PathOf(await OtpMail.CompleteAsync(factory, browser, await LoginAsync(browser, "R0025", Password), "r0025@example.jp")), Is.EqualTo("/"));

        // members sign-out has read the member ...
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KosmoDbContext>();
        var stored = await db.Members.SingleAsync(m => m.Id == member.Id);

        // ... when the member presses "sign out other devices", which signs this browser in again under a new version ...
        var signedOut = await HtmlForm.SubmitAsync(browser, await browser.GetAsync("/account"), new Dictionary<string, string>(), "form[action*=SignOutOthers]");
        Assert.That(signedOut.Headers.Location!.OriginalString, Does.Contain("done=signed-out"));

        // ... and the command goes on from what it read.
        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            await scope.ServiceProvider.GetRequiredService<SessionTermination>().EndAllAsync(stored, sparedSessionId: null, CancellationToken.None);
            await db.SaveChangesAsync();
            await transaction.CommitAsync();
        }

        Assert.That(PathOf(await browser.GetAsync("/account")), Is.EqualTo("/login"), "the operator's sign-out ends this browser's session too");
    }

    [Test]
    public async Task LogoutPressedWhileAnAppsSignInIsBeingMadeInThatSession_EndsThatSignInToo()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var (portal, logoutPage) = await AtTheLogoutQuestionAsync(factory, "S0004");

        // The app's sign-in is being written, held up as by a slow database, when the member presses ログアウト.
        await using var hold = await HoldTableAsync(factory, "\"OpenIddictAuthorizations\"");
        var pkce = Pkce.Create();
        var asked = portal.Browser.GetAsync(portal.AuthorizeUrl(pkce));
        await Task.Delay(TimeSpan.FromMilliseconds(800));
        var loggedOut = HtmlForm.SubmitAsync(portal.Browser, logoutPage, new Dictionary<string, string>());
        await Task.Delay(TimeSpan.FromMilliseconds(800));
        await hold.Transaction.CommitAsync();

        Assert.That((await loggedOut).Headers.Location?.OriginalString, Is.EqualTo("/signed-out"));
        var answer = AuthorizationResponse.From(await asked, KosmoFactory.PortalRedirect);
        var redeemed = answer.Code is null ? null : await portal.RedeemAsync(answer.Code, pkce.Verifier);
        Assert.That(redeemed?.RefreshToken, Is.Null, "a sign-in made in the session the member just ended would outlive it");
    }

    [Test]
    public async Task AnAppsSignInAskedForWhileLogoutIsBeingSaved_WaitsAndFindsTheSessionEnded()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var (portal, logoutPage) = await AtTheLogoutQuestionAsync(factory, "S0005");

        // ログアウト is being saved (its audit event waits on the table) when the app asks, silently.
        await using var hold = await HoldTableAsync(factory, "audit_events");
        var loggedOut = HtmlForm.SubmitAsync(portal.Browser, logoutPage, new Dictionary<string, string>());
        await Task.Delay(TimeSpan.FromMilliseconds(800));
        var answer = await AskedSilentlyBeforeAsync(portal, portal.Browser, () => hold.Transaction.CommitAsync());

        Assert.That((await loggedOut).Headers.Location?.OriginalString, Is.EqualTo("/signed-out"));
        Assert.That(answer.Code, Is.Null, "the cookie was read before the sign-out was saved, but the session is ended");
        Assert.That(answer.Error, Is.EqualTo("login_required"));
    }

    [Test]
    public async Task AnotherMembersSignInOverASession_DoesNotWaitForTheFirstMembersRow()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var first = await TestMembers.AddAsync(factory, "S0006", Password);
        await TestMembers.AddAsync(factory, "S0007", Password);
        var portal = TestRelyingApp.Portal(factory);
        await portal.SignedInAsync("S0006", Password);

        // The first member's row is busy (a roster import updating it, an operator's command).
        await using var hold = await HoldAsync(factory, $"SELECT 1 FROM members WHERE id = '{first.Id}' FOR UPDATE");

        var signedIn = await LoginAsync(portal.Browser, "S0007", Password);
        Assert.That(PathOf(signedIn), Is.EqualTo("/journey/otp"), "the next member's own sign-in goes on");
    }

    [Test]
    public async Task AnotherMembersSignIn_GoesOn_WhenTheSessionItReplacesCannotBeEnded()
    {
        await using var factory = await KosmoFactory.StartAsync();
        await TestMembers.AddAsync(factory, "S0010", Password);
        await TestMembers.AddAsync(factory, "S0011", Password);
        var portal = TestRelyingApp.Portal(factory);
        await portal.SignedInAsync("S0010", Password);

        // Ending the first member's session fails (a failover, a full disk) after the second sign-in was saved.
        await FailingWrites.StartAsync(factory, "ended_sessions", "INSERT");
        HttpResponseMessage signedIn;
        try
        {
            signedIn = await LoginAsync(portal.Browser, "S0011", Password);
        }
        finally
        {
            await FailingWrites.StopAsync(factory, "ended_sessions");
        }

        Assert.That(PathOf(signedIn), Is.EqualTo("/journey/otp"), "not an error page that drops the new cookie and leaves the browser in the first member's session");
        Assert.That(PathOf(await OtpMail.CompleteAsync(factory, portal.Browser, signedIn, "s0011@example.jp")), Is.EqualTo("/"));
    }

    [Test]
    public async Task AppsAreToldOfTheSessionAnotherSignInReplaced_OnlyOnceItsEndIsSaved()
    {
        var endedWhenTold = new System.Collections.Concurrent.ConcurrentQueue<long>();
        string? connectionString = null;
        var (app, url) = await LocalServer.StartAsync(a => a.MapPost("/backchannel-logout", async () =>
        {
            await using var c = new NpgsqlConnection(connectionString);
            await c.OpenAsync();
            await using var q = new NpgsqlCommand("SELECT count(*) FROM ended_sessions", c);
            endedWhenTold.Enqueue((long)(await q.ExecuteScalarAsync())!);
            return Microsoft.AspNetCore.Http.Results.Ok();
        }));
        await using var _ = app;
        await using var factory = await KosmoFactory.StartAsync(new Dictionary<string, string?>
        {
            ["RelyingApps:Apps:0:BackchannelLogoutUri"] = new Uri(url, "/backchannel-logout").AbsoluteUri,
        });
        connectionString = factory.ConnectionString;
        await TestMembers.AddAsync(factory, "S0008", Password);
        await TestMembers.AddAsync(factory, "S0009", Password);
        var portal = TestRelyingApp.Portal(factory);
        await portal.SignedInAsync("S0008", Password);

        Assert.That(PathOf(await LoginAsync(portal.Browser, "S0009", Password)), Is.EqualTo("/journey/otp"));

        Assert.That(endedWhenTold, Is.EqualTo(new[] { 1L }), "told once, and only once the first member's session is recorded as ended");
    }

    /// <summary>A member signed in on the provider in the portal's browser, with the ログアウト page open.</summary>
    private static async Task<(TestRelyingApp Portal, HttpResponseMessage LogoutPage)> AtTheLogoutQuestionAsync(KosmoFactory factory, string userId)
    {
        await TestMembers.AddAsync(factory, userId, Password);
        var portal = TestRelyingApp.Portal(factory);
        Assert.That(PathOf(await OtpMail.CompleteAsync(factory, portal.Browser, await LoginAsync(portal.Browser, userId, Password), userId.ToLowerInvariant() + "@example.jp")), Is.EqualTo("/"));
        return (portal, await portal.Browser.GetAsync("/logout"));
    }

    private sealed record HeldTable(NpgsqlConnection Connection, NpgsqlTransaction Transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Transaction.DisposeAsync();
            await Connection.DisposeAsync();
        }
    }

    /// <summary>Holds <paramref name="table"/> against writes until the returned transaction ends.</summary>
    private static Task<HeldTable> HoldTableAsync(KosmoFactory factory, string table) => HoldAsync(factory, $"LOCK TABLE {table} IN SHARE MODE");

    /// <summary>Another connection's lock, taken by <paramref name="statement"/> and held until the returned transaction ends.</summary>
    private static async Task<HeldTable> HoldAsync(KosmoFactory factory, string statement)
    {
        var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand(statement, connection, transaction);
        await command.ExecuteNonQueryAsync();
        return new HeldTable(connection, transaction);
    }

    /// <summary>
    /// The app's silent sign-in in <paramref name="browser"/>, asked for before the sign-out is let
    /// go by <paramref name="release"/>, and given long enough to be answered first if it does not wait.
    /// </summary>
    private static async Task<AuthorizationResponse> AskedSilentlyBeforeAsync(TestRelyingApp app, HttpClient browser, Func<Task> release)
    {
        var asked = browser.GetAsync(app.AuthorizeUrl(Pkce.Create(), new Dictionary<string, string?> { ["prompt"] = "none" }));
        await Task.WhenAny(asked, Task.Delay(TimeSpan.FromSeconds(2)));
        await release();
        return AuthorizationResponse.From(await asked, KosmoFactory.PortalRedirect);
    }
}
