using System.Net;
using Kosmo.Idp.Tests.Infrastructure;

namespace Kosmo.Idp.Tests.Protocol;

/// <summary>
/// The database fails in the middle of a token request (a failover, a statement timeout) after the
/// code or refresh token was marked redeemed: the app is told to retry (503), and its retry must
/// work instead of being taken for a replay that ends the member's sign-in.
/// </summary>
public sealed class TokenRequestFailureTests
{
    private const string Password = "Failing-Database-2026";

    private const string Tokens = "\"OpenIddictTokens\"";

    [Test]
    public async Task ARefreshThatFailedHalfWay_WorksWhenTheAppRetries_AndTheSignInLivesOn()
    {
        await using var factory = await KosmoFactory.StartAsync();
        await TestMembers.AddAsync(factory, "K0001", Password);
        var app = TestRelyingApp.Portal(factory);
        var tokens = await app.SignedInTokensAsync("K0001", Password);

        await FailingWrites.StartAsync(factory, Tokens, "INSERT");
        var failed = await app.RefreshAsync(tokens.RefreshToken!);
        Assert.That((failed.Status, failed.Error), Is.EqualTo((HttpStatusCode.ServiceUnavailable, "temporarily_unavailable")));
        await FailingWrites.StopAsync(factory, Tokens);

        var retried = await app.RefreshAsync(tokens.RefreshToken!);
        Assert.That(retried.Status, Is.EqualTo(HttpStatusCode.OK), retried.Body.ToString());
        Assert.That((await app.IntrospectAsync(tokens.AccessToken!)).Body.GetProperty("active").GetBoolean(), Is.True, "the sign-in was not ended as a replay");
        Assert.That(factory.Logs.Events, Has.None.Contain("token replay"));
    }

    [Test]
    public async Task ACodeRedemptionThatFailedHalfWay_WorksWhenTheAppRetries()
    {
        await using var factory = await KosmoFactory.StartAsync();
        await TestMembers.AddAsync(factory, "K0001", Password);
        var app = TestRelyingApp.Portal(factory);
        var pkce = Pkce.Create();
        var code = (await app.SignInAsync("K0001", Password, pkce)).Code!;

        await FailingWrites.StartAsync(factory, Tokens, "INSERT");
        var failed = await app.RedeemAsync(code, pkce.Verifier);
        Assert.That((failed.Status, failed.Error), Is.EqualTo((HttpStatusCode.ServiceUnavailable, "temporarily_unavailable")));
        await FailingWrites.StopAsync(factory, Tokens);

        var retried = await app.RedeemAsync(code, pkce.Verifier);
        Assert.That(retried.Status, Is.EqualTo(HttpStatusCode.OK), retried.Body.ToString());
        Assert.That(retried.RefreshToken, Is.Not.Null);
    }

    [Test]
    public async Task ARefreshWhoseCommitFails_IsAnswered503NotWithTokens_AndTheRetryWorks()
    {
        await using var factory = await KosmoFactory.StartAsync();
        await TestMembers.AddAsync(factory, "K0001", Password);
        var app = TestRelyingApp.Portal(factory);
        var tokens = await app.SignedInTokensAsync("K0001", Password);

        // Checked only at the commit, as a failover or a serialization failure would strike.
        await FailingWrites.StartAsync(factory, Tokens, "INSERT", atCommit: true, sqlState: "40001");
        var failed = await app.RefreshAsync(tokens.RefreshToken!);
        await FailingWrites.StopAsync(factory, Tokens);
        Assert.That((failed.Status, failed.Error), Is.EqualTo((HttpStatusCode.ServiceUnavailable, "temporarily_unavailable")),
            "tokens the database never stored must not reach the app");

        var retried = await app.RefreshAsync(tokens.RefreshToken!);
        Assert.That(retried.Status, Is.EqualTo(HttpStatusCode.OK), retried.Body.ToString());
        Assert.That((await app.RefreshAsync(retried.RefreshToken!)).Status, Is.EqualTo(HttpStatusCode.OK), "the tokens it got are stored");
        Assert.That(factory.Logs.Leveled.Where(e => e.Level >= Serilog.Events.LogEventLevel.Error).Select(e => e.Text), Is.Empty,
            "a serialization failure is contention, not an outage to alert on: EF Core's own events say so at Warning");
    }

    [Test]
    public async Task ACodeSentAgainWhileTheFirstRedemptionHoldsIt_GetsABusyAnswer_ABrowserAppCanRead()
    {
        await using var factory = await KosmoFactory.StartAsync();
        await TestMembers.AddAsync(factory, "K0001", Password);
        var app = TestRelyingApp.Checkup(factory);
        var pkce = Pkce.Create();
        var code = (await app.SignInAsync("K0001", Password, pkce)).Code!;

        // The first redemption of this code, still running on another replica.
        var key = "token:" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(code)))[..32];
        await using var first = new Npgsql.NpgsqlConnection(factory.ConnectionString);
        await first.OpenAsync();
        await using (var hold = new Npgsql.NpgsqlCommand($"SELECT pg_advisory_lock({0x4B49}, hashtext('{key}'))", first))
        {
            await hold.ExecuteNonQueryAsync();
        }

        var request = new HttpRequestMessage(HttpMethod.Post, "/connect/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code", ["code"] = code, ["code_verifier"] = pkce.Verifier,
                ["redirect_uri"] = KosmoFactory.CheckupRedirect, ["client_id"] = KosmoFactory.CheckupClientId,
            }),
        };
        request.Headers.Add("Origin", "https://checkup.test");
        var busy = await app.Backchannel.SendAsync(request);

        Assert.That(busy.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(await busy.Content.ReadAsStringAsync(), Does.Contain("temporarily_unavailable"));
        Assert.That(busy.Headers.GetValues("Access-Control-Allow-Origin"), Is.EqualTo(new[] { "https://checkup.test" }),
            "the browser app reads 'try again', not a CORS failure");
    }

}
