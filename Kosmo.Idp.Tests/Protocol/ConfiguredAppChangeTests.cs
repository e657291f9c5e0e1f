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
            var tokens = await app.SignedInTokensAsync("CU002", "Configured-Apps-2026");
            Assert.That(tokens.RefreshToken, Is.Not.Null, tokens.Body.ToString());
            return tokens;
        }
    }

    [Test]
    public async Task AConfidentialAppMadePublic_EndsItsGrants_SoItsRefreshTokensNeedNoSecretFromThenOnNever()
    {
        string connectionString, portalRefresh;
        // A server app that signs members in, and nothing else.
        await using (var before = await KosmoFactory.StartAsync(new Dictionary<string, string?> { ["RelyingApps:Apps:0:AllowClientCredentials"] = "false" }))
        {
            connectionString = before.ConnectionString;
            await TestMembers.AddAsync(before, "CU003", "Configured-Apps-2026");
            var app = TestRelyingApp.Portal(before);
            portalRefresh = (await app.SignedInTokensAsync("CU003", "Configured-Apps-2026")).RefreshToken!;
        }

        // The next deploy's configuration turns the portal into a browser app: no secret any more.
        await using var after = new KosmoFactory(connectionString, new Dictionary<string, string?>
        {
            ["RelyingApps:Apps:0:Kind"] = "Public",
            ["RelyingApps:Apps:0:ClientSecret"] = "",
            ["RelyingApps:Apps:0:AllowClientCredentials"] = "false",
        });
        var withoutSecret = new TestRelyingApp(after, KosmoFactory.PortalClientId, KosmoFactory.PortalRedirect, null);
        var refreshed = await withoutSecret.RefreshAsync(portalRefresh);
        Assert.That((refreshed.Status, refreshed.Error), Is.EqualTo((HttpStatusCode.BadRequest, "invalid_grant")),
            "a refresh token kept on a server with its secret, if it leaked, would now work with no secret at all");
        Assert.That(after.Logs.Events, Has.Some.Contain("Relying app \"portal\" may no longer use \"a client secret (it is a public app now)\""));
    }
}
