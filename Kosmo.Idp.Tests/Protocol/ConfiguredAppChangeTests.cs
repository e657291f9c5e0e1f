using System.Net;
using Kosmo.Idp.Tests.Infrastructure;

namespace Kosmo.Idp.Tests.Protocol;

public sealed class ConfiguredAppChangeTests
{
    [Test]
    public async Task AScopeTakenFromAConfiguredApp_EndsItsGrants_AtTheNextStart_WhileAnUnchangedAppKeepsThem()
    {
        string connectionString, portalRefresh, checkupRefresh;
        await using (var before = await KosmoFactory.StartAsync())
        {
            connectionString = before.ConnectionString;
            await TestMembers.AddAsync(before, "CU002", "Configured-Apps-2026");
            portalRefresh = (await SignInAsync(TestRelyingApp.Portal(before))).RefreshToken!;
            checkupRefresh = (await SignInAsync(TestRelyingApp.Checkup(before))).RefreshToken!;
        }

        // The next deploy's configuration no longer lets the portal ask for email.
        await using var after = new KosmoFactory(connectionString, new Dictionary<string, string?>
        {
            ["RelyingApps:Apps:0:Scopes:2"] = "offline_access",
        });
        var portal = await TestRelyingApp.Portal(after).RefreshAsync(portalRefresh);
        Assert.That((portal.Status, portal.Error), Is.EqualTo((HttpStatusCode.BadRequest, "invalid_grant")), "a refresh would carry email on");
        var checkup = await TestRelyingApp.Checkup(after).RefreshAsync(checkupRefresh);
        Assert.That(checkup.Status, Is.EqualTo(HttpStatusCode.OK), checkup.Body.ToString());
        Assert.That(after.Logs.Events, Has.Some.Contain("Relying app \"portal\" may no longer use \"email\""), "the operator sees why members sign in again");

        async Task<TokenResponse> SignInAsync(TestRelyingApp app)
        {
            var pkce = Pkce.Create();
            var tokens = await app.RedeemAsync((await app.SignInAsync("CU002", "Configured-Apps-2026", pkce)).Code!, pkce.Verifier);
            Assert.That(tokens.RefreshToken, Is.Not.Null, tokens.Body.ToString());
            return tokens;
        }
    }
}
