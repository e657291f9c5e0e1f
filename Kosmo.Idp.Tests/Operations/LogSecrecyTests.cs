using Kosmo.Idp.Tests.Infrastructure;

namespace Kosmo.Idp.Tests.Operations;

public sealed class LogSecrecyTests
{
    [Test]
    public async Task AWholeCodeFlow_LeavesNoPasswordCodeTokenOrSecretInTheLog()
    {
        await using var factory = await KosmoFactory.StartAsync();
        const string password = "log-secret-password-9";
        await TestMembers.AddAsync(factory, "G0001", password);
        var app = TestRelyingApp.Portal(factory);
        var pkce = Pkce.Create();

        var loginPage = await app.Browser.GetAsync("/login");
        await HtmlForm.SubmitAsync(app.Browser, loginPage, new Dictionary<string, string> { ["UserId"] = "G0001", ["Password"] = "a-wrong-password-8" });
        var authorization = await app.SignInAsync("G0001", password, pkce);
        var tokens = await app.RedeemAsync(authorization.Code!, pkce.Verifier);
        var refreshed = await app.RefreshAsync(tokens.RefreshToken!);
        var service = await app.TokenAsync(new Dictionary<string, string?> { ["grant_type"] = "client_credentials" });

        var secrets = new[]
        {
            password, "a-wrong-password-8", authorization.Code!, pkce.Verifier, tokens.AccessToken!, tokens.RefreshToken!,
            tokens.IdToken!, refreshed.AccessToken!, refreshed.RefreshToken!, service.AccessToken!, KosmoFactory.PortalSecret,
        };
        var events = factory.Logs.Events;
        Assert.That(events, Is.Not.Empty, "the log was captured");
        Assert.That(events, Has.Some.Contains("/connect/token"), "one event per request was written");
        foreach (var secret in secrets)
        {
            Assert.That(events.Where(e => e.Contains(secret, StringComparison.Ordinal)), Is.Empty, $"a secret of length {secret.Length} leaked");
        }
    }
}
