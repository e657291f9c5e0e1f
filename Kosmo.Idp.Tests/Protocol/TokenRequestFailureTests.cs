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
        var pkce = Pkce.Create();
        var tokens = await app.RedeemAsync((await app.SignInAsync("K0001", Password, pkce)).Code!, pkce.Verifier);

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
        var pkce = Pkce.Create();
        var tokens = await app.RedeemAsync((await app.SignInAsync("K0001", Password, pkce)).Code!, pkce.Verifier);

        // Checked only at the commit, as a failover or a serialization failure would strike.
        await FailingWrites.StartAsync(factory, Tokens, "INSERT", atCommit: true, sqlState: "40001");
        var failed = await app.RefreshAsync(tokens.RefreshToken!);
        await FailingWrites.StopAsync(factory, Tokens);
        Assert.That((failed.Status, failed.Error), Is.EqualTo((HttpStatusCode.ServiceUnavailable, "temporarily_unavailable")),
            "tokens the database never stored must not reach the app");

        var retried = await app.RefreshAsync(tokens.RefreshToken!);
        Assert.That(retried.Status, Is.EqualTo(HttpStatusCode.OK), retried.Body.ToString());
        Assert.That((await app.RefreshAsync(retried.RefreshToken!)).Status, Is.EqualTo(HttpStatusCode.OK), "the tokens it got are stored");
    }

}
