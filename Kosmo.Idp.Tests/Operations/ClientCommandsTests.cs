using System.Net;
using System.Text.Json;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Kosmo.Idp.Tests.Operations;

[NonParallelizable] // the command-line tests set environment variables and the console, as an operator's shell would
public sealed class ClientCommandsTests
{
    [Test]
    public async Task AnAddedConfidentialApp_GetsASecretShownOnce_ThatWorks_UntilItIsRotated_AndItIsGoneOnceRemoved()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var (exit, output, errors) = await OperatorShell.RunAsync(factory.ConnectionString,
            "clients", "add", "e-application", "--name", "電子申請", "--redirect-uri", "https://apply.kosmo.test/signin-oidc",
            "--scope", "profile", "--home-url", "https://apply.kosmo.test/", "--client-credentials");
        Assert.That(exit, Is.Zero, errors);
        var secret = SecretIn(output);
        Assert.That(secret, Has.Length.GreaterThanOrEqualTo(40));
        Assert.That(factory.Logs.Events, Has.None.Contain(secret));
        Assert.That(await ClientCredentialsAsync(factory, "e-application", secret), Is.EqualTo(HttpStatusCode.OK));

        var listed = await OperatorShell.RunAsync(factory.ConnectionString, "clients", "list");
        Assert.That(listed.Output, Does.Contain("e-application\tconfidential\toperator\t電子申請\thttps://apply.kosmo.test/"));
        Assert.That(listed.Output, Does.Contain("portal\tconfidential\tconfiguration"), "configured apps are listed too");
        Assert.That(listed.Output, Does.Not.Contain(secret));

        var renamed = await OperatorShell.RunAsync(factory.ConnectionString, "clients", "update", "e-application", "--name", "電子申請サービス");
        Assert.That(renamed.Exit, Is.Zero, renamed.Errors);
        Assert.That(await ClientCredentialsAsync(factory, "e-application", secret), Is.EqualTo(HttpStatusCode.OK), "an update keeps the secret");

        var told = await OperatorShell.RunAsync(factory.ConnectionString, "clients", "update", "e-application", "--backchannel-logout-uri", "https://apply.kosmo.test/backchannel-logout");
        Assert.That(told.Exit, Is.Zero, told.Errors);
        Assert.That(await BackchannelLogoutUriAsync(factory, "e-application"), Is.EqualTo("https://apply.kosmo.test/backchannel-logout"));
        var plainHttp = await OperatorShell.RunAsync(factory.ConnectionString, "clients", "update", "e-application", "--backchannel-logout-uri", "http://apply.kosmo.test/logout");
        Assert.That((plainHttp.Exit, plainHttp.Errors), Is.EqualTo((2, plainHttp.Errors)));
        Assert.That(plainHttp.Errors, Does.Contain("must use https"));

        var rotated = await OperatorShell.RunAsync(factory.ConnectionString, "clients", "update", "e-application", "--rotate-secret");
        var newSecret = SecretIn(rotated.Output);
        Assert.That(await ClientCredentialsAsync(factory, "e-application", secret), Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await ClientCredentialsAsync(factory, "e-application", newSecret), Is.EqualTo(HttpStatusCode.OK));

        var removed = await OperatorShell.RunAsync(factory.ConnectionString, "clients", "remove", "e-application");
        Assert.That(removed.Exit, Is.Zero, removed.Errors);
        Assert.That(await ClientCredentialsAsync(factory, "e-application", newSecret), Is.Not.EqualTo(HttpStatusCode.OK));

        // Each change is audited with who made it, and never with a secret.
        var events = await TestMembers.WithDbAsync(factory, db => db.AuditEvents.Where(e => e.Kind.StartsWith("client.")).OrderBy(e => e.Id).ToListAsync());
        Assert.That(events.Select(e => e.Kind), Is.EqualTo(new[] { "client.registered", "client.updated", "client.updated", "client.updated", "client.removed" }));
        Assert.That(events, Has.All.Property(nameof(Kosmo.Idp.Operations.Audit.AuditEvent.Detail)).StartsWith("e-application; by "));
        Assert.That(events[3].Detail, Does.Contain("new secret").And.Not.Contain(newSecret));
        Assert.That(events.Select(e => e.Detail), Has.None.Contain(secret));
    }

    [Test]
    public async Task AClientCommandTheDatabaseFailsHalfWay_ChangesNothing_AndShowsNoSecret()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var added = await OperatorShell.RunAsync(factory.ConnectionString,
            "clients", "add", "checkup-api", "--name", "健診API", "--redirect-uri", "https://checkup.kosmo.test/signin-oidc", "--client-credentials");
        var secret = SecretIn(added.Output);
        // The audit event is the last write of each command: the database refusing it stands for one lost half-way.
        await TestMembers.WithDbAsync(factory, db => db.Database.ExecuteSqlRawAsync("""
            CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$ LANGUAGE plpgsql;
            CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_audit();
            """));

        var commands = new[]
        {
            new[] { "clients", "update", "checkup-api", "--rotate-secret" },
            ["clients", "update", "checkup-api", "--name", "別の名前"],
            ["clients", "remove", "checkup-api"],
            ["clients", "add", "e-application", "--name", "電子申請", "--redirect-uri", "https://apply.kosmo.test/signin-oidc"],
        };
        foreach (var command in commands)
        {
            var (exit, output, errors) = await OperatorShell.RunAsync(factory.ConnectionString, command);
            Assert.That(exit, Is.EqualTo(1), string.Join(" ", command) + ": " + errors);
            Assert.That(output, Does.Not.Contain("Client secret"), "no secret is shown for a change that was not saved");
        }

        Assert.That(await ClientCredentialsAsync(factory, "checkup-api", secret), Is.EqualTo(HttpStatusCode.OK), "the old secret still works");
        var listed = (await OperatorShell.RunAsync(factory.ConnectionString, "clients", "list")).Output;
        Assert.That(listed, Does.Contain("checkup-api\tconfidential\toperator\t健診API").And.Not.Contain("e-application"));

        await TestMembers.WithDbAsync(factory, db => db.Database.ExecuteSqlRawAsync("DROP TRIGGER refuse_audit ON audit_events"));
        var again = await OperatorShell.RunAsync(factory.ConnectionString, commands[^1]);
        Assert.That(again.Exit, Is.Zero, "the app that was not saved can be added now: " + again.Errors);

        var unchanged = await OperatorShell.RunAsync(factory.ConnectionString, "clients", "update", "checkup-api", "--english-name", "");
        Assert.That(unchanged.Output, Does.Contain("nothing changed"));
        Assert.That(await TestMembers.WithDbAsync(factory, db => db.AuditEvents.CountAsync(e => e.Kind == "client.updated")), Is.Zero,
            "an update that changed nothing leaves no audit event");
    }

    [Test]
    public async Task AnUpdate_ChangesScopesAndClientCredentials_RevokingWhatWasWithdrawn_AndRemovesOptionalAddresses()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var added = await OperatorShell.RunAsync(factory.ConnectionString,
            "clients", "add", "benefits", "--name", "給付金", "--redirect-uri", "https://benefits.kosmo.test/signin-oidc",
            "--redirect-uri", "https://benefits.kosmo.test/signin-oidc", "--post-logout-uri", "https://benefits.kosmo.test/signed-out",
            "--scope", "profile", "offline_access", "--client-credentials", "--home-url", "https://benefits.kosmo.test/",
            "--backchannel-logout-uri", "https://benefits.kosmo.test/backchannel-logout", "--english-name", "Benefits");
        Assert.That(added.Exit, Is.Zero, added.Errors);
        Assert.That(await EnglishNameAsync(factory, "benefits"), Is.EqualTo("Benefits"));
        var secret = SecretIn(added.Output);
        var listed = await OperatorShell.RunAsync(factory.ConnectionString, "clients", "list");
        Assert.That(listed.Output, Does.Contain("\thttps://benefits.kosmo.test/signin-oidc\toffline_access profile\tclient credentials"));

        await TestMembers.AddAsync(factory, "CU001", "Benefits-Member-2026");
        var app = new TestRelyingApp(factory, "benefits", "https://benefits.kosmo.test/signin-oidc", secret);
        var signedIn = await app.SignedInTokensAsync("CU001", "Benefits-Member-2026");
        Assert.That(signedIn.RefreshToken, Is.Not.Null, signedIn.Body.ToString());

        // Renaming, or adding a scope, takes nothing from the app: its members stay signed in.
        var widened = await OperatorShell.RunAsync(factory.ConnectionString, "clients", "update", "benefits", "--scope", "profile", "email", "offline_access");
        Assert.That(widened.Exit, Is.Zero, widened.Errors);
        Assert.That(widened.Output, Does.Contain("scopes email offline_access profile").And.Not.Contain("revoked"));
        var refreshed = await app.RefreshAsync(signedIn.RefreshToken!);
        Assert.That(refreshed.Status, Is.EqualTo(HttpStatusCode.OK), refreshed.Body.ToString());

        // Taking a scope away ends what was granted with it: a refresh would carry it on.
        var narrowed = await OperatorShell.RunAsync(factory.ConnectionString, "clients", "update", "benefits", "--scope", "email", "offline_access");
        Assert.That(narrowed.Exit, Is.Zero, narrowed.Errors);
        Assert.That(narrowed.Output, Does.Contain("It may no longer use profile").And.Contain("members sign in to it again"));
        var afterNarrowing = await app.RefreshAsync(refreshed.RefreshToken!);
        Assert.That((afterNarrowing.Status, afterNarrowing.Error), Is.EqualTo((HttpStatusCode.BadRequest, "invalid_grant")));
        var withoutProfile = await app.TokenAsync(new Dictionary<string, string?>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = "benefits", ["client_secret"] = secret, ["scope"] = "profile",
        });
        Assert.That(withoutProfile.Error, Is.EqualTo("invalid_scope"));

        var noService = await OperatorShell.RunAsync(factory.ConnectionString, "clients", "update", "benefits", "--client-credentials", "false");
        Assert.That(noService.Exit, Is.Zero, noService.Errors);
        Assert.That(await ClientCredentialsAsync(factory, "benefits", secret), Is.EqualTo(HttpStatusCode.BadRequest));

        // A single-page app's start page differs only after the #: still a change.
        await OperatorShell.RunAsync(factory.ConnectionString, "clients", "update", "benefits", "--home-url", "https://benefits.kosmo.test/#/top");
        var moved = await OperatorShell.RunAsync(factory.ConnectionString, "clients", "update", "benefits", "--home-url", "https://benefits.kosmo.test/#/menu");
        Assert.That(moved.Output, Does.Contain("home URL https://benefits.kosmo.test/#/menu"), moved.Errors);
        Assert.That((await OperatorShell.RunAsync(factory.ConnectionString, "clients", "list")).Output, Does.Contain("https://benefits.kosmo.test/#/menu"));

        var cleared = await OperatorShell.RunAsync(factory.ConnectionString, "clients", "update", "benefits",
            "--home-url", "", "--backchannel-logout-uri", "", "--english-name", "", "--post-logout-uri", "");
        Assert.That(cleared.Exit, Is.Zero, cleared.Errors);
        Assert.That(cleared.Output, Does.Contain("home URL removed").And.Contain("back-channel logout URI removed").And.Contain("English name removed")
            .And.Contain("post-logout URIs (none)"));
        Assert.That(await EnglishNameAsync(factory, "benefits"), Is.Null);
        Assert.That(await BackchannelLogoutUriAsync(factory, "benefits"), Is.Null);
        Assert.That((await OperatorShell.RunAsync(factory.ConnectionString, "clients", "list")).Output,
            Does.Contain("benefits\tconfidential\toperator\t給付金\t-\thttps://benefits.kosmo.test/signin-oidc\temail offline_access\t-"));

        var again = await app.SignInAsync("CU001", "Benefits-Member-2026", Pkce.Create(), new Dictionary<string, string?> { ["scope"] = "openid email" });
        Assert.That(again.Code, Is.Not.Null, "the app signs its members in again with what it may still ask for");
        var registered = await TestMembers.WithDbAsync(factory, db => db.AuditEvents.Where(e => e.Kind == "client.registered").Select(e => e.Detail).SingleAsync());
        Assert.That(registered!.Split("redirect https://benefits.kosmo.test/signin-oidc"), Has.Length.EqualTo(2), "a URI given twice is registered once");
        var events = await TestMembers.WithDbAsync(factory, db => db.AuditEvents.Where(e => e.Kind == "client.updated").OrderBy(e => e.Id).Select(e => e.Detail).ToListAsync());
        Assert.That(events[1], Does.Contain("scopes email offline_access").And.Match(@"grants revoked \(\d+ stored tokens\)"));
    }

    [Test]
    public async Task BadInput_AndAppsManagedByConfiguration_AreRefusedWithAReason()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var http = await OperatorShell.RunAsync(factory.ConnectionString,
            "clients", "add", "plain-http", "--name", "x", "--redirect-uri", "http://apply.kosmo.test/cb");
        Assert.That((http.Exit, http.Errors), Is.EqualTo((2, http.Errors)));
        Assert.That(http.Errors, Does.Contain("must use https").And.StartWith("plain-http: ").And.Not.Contain("RelyingApps"), "in the command's terms, not the configuration's");
        // A relative path would parse as a file: URL on Linux, which would count as this machine, like localhost.
        foreach (var notWeb in new[] { "file:///etc/passwd", "/signin-oidc" })
        {
            var file = await OperatorShell.RunAsync(factory.ConnectionString, "clients", "add", "file-app", "--name", "x", "--redirect-uri", notWeb);
            Assert.That((file.Exit, file.Errors), Is.EqualTo((2, file.Errors)), notWeb);
            Assert.That(file.Errors, Does.Contain($"'{notWeb}' is not an absolute http(s) URL"), notWeb);
        }

        var withPassword = await OperatorShell.RunAsync(factory.ConnectionString,
            "clients", "add", "with-password", "--name", "x", "--redirect-uri", "https://user:pw@apply.kosmo.test/cb");
        Assert.That((withPassword.Exit, withPassword.Errors), Is.EqualTo((2, withPassword.Errors)));
        Assert.That(withPassword.Errors, Does.Contain("must not carry a user name or password").And.Not.Contain("pw@"), "the password is not repeated either");
        Assert.That(withPassword.Output, Does.Not.Contain("pw@"));

        foreach (var command in new[] { new[] { "add", "", "--name", "x" }, ["update", "", "--name", "x"], ["remove", ""] })
        {
            var empty = await OperatorShell.RunAsync(factory.ConnectionString, ["clients", .. command]);
            Assert.That((empty.Exit, empty.Errors), Is.EqualTo((2, empty.Errors)), command[0]);
            Assert.That(empty.Errors, Does.Contain("The client id is empty").And.Not.Contain("Parameter"), command[0]);
        }

        var likeAMember = await OperatorShell.RunAsync(factory.ConnectionString, "clients", "add", "0b9f6c1e-3f5a-4d8e-9b1c-2a7d4e6f8a90", "--name", "x", "--client-credentials");
        Assert.That((likeAMember.Exit, likeAMember.Errors), Is.EqualTo((2, likeAMember.Errors)));
        Assert.That(likeAMember.Errors, Does.Contain("must not be a GUID"));

        var publicWithCredentials = await OperatorShell.RunAsync(factory.ConnectionString,
            "clients", "add", "spa", "--name", "x", "--kind", "Public", "--redirect-uri", "https://spa.kosmo.test/cb", "--client-credentials");
        Assert.That(publicWithCredentials.Exit, Is.EqualTo(2));
        Assert.That(publicWithCredentials.Errors, Does.Contain("public app"));

        var noRedirect = await OperatorShell.RunAsync(factory.ConnectionString, "clients", "add", "no-redirect", "--name", "x", "--kind", "Public");
        Assert.That(noRedirect.Exit, Is.EqualTo(2));
        Assert.That(noRedirect.Errors, Does.Contain("needs a redirect URI"));
        foreach (var (name, english) in new[] { ("Tab\tName", "x"), ("a\u001b[2Jb", "x"), ("電子\u200b申請", "x"), ("電子申請", "e-\napplication") })
        {
            var hidden = await OperatorShell.RunAsync(factory.ConnectionString, "clients", "add", "hidden-name", "--name", name, "--english-name", english, "--client-credentials");
            Assert.That((hidden.Exit, hidden.Errors), Is.EqualTo((2, hidden.Errors)), name);
            Assert.That(hidden.Errors, Does.Contain("must be one line of visible characters"), name);
            Assert.That(hidden.Errors.Contains('\u001b', StringComparison.Ordinal), Is.False, "the name is not echoed to act on the terminal");
        }

        var service = await OperatorShell.RunAsync(factory.ConnectionString, "clients", "add", "nightly-batch", "--name", "夜間バッチ", "--client-credentials");
        Assert.That(service.Exit, Is.Zero, "a service that signs no member in needs no redirect URI: " + service.Errors);
        Assert.That((await OperatorShell.RunAsync(factory.ConnectionString, "clients", "list")).Output,
            Does.Contain("nightly-batch\tconfidential\toperator\t夜間バッチ\t-\t-\t"), "an empty column is a dash, like the others");
        Assert.That(await ClientCredentialsAsync(factory, "nightly-batch", SecretIn(service.Output)), Is.EqualTo(HttpStatusCode.OK));
        // An empty shell variable in place of a redirect URI is an error, not "no redirect URIs".
        foreach (var command in new[] { new[] { "add", "empty-uri", "--name", "x", "--redirect-uri", "" }, ["update", "nightly-batch", "--redirect-uri", ""] })
        {
            var empty = await OperatorShell.RunAsync(factory.ConnectionString, ["clients", .. command]);
            Assert.That((empty.Exit, empty.Errors), Is.EqualTo((2, empty.Errors)), command[0]);
            Assert.That(empty.Errors, Does.Contain("'' is not an absolute http(s) URL"), command[0]);
        }

        var badScope = await OperatorShell.RunAsync(factory.ConnectionString,
            "clients", "add", "E_APP", "--name", "x", "--redirect-uri", "https://e.kosmo.test/cb", "--scope", "nonsense");
        Assert.That(badScope.Exit, Is.EqualTo(2));
        Assert.That(badScope.Errors, Does.Contain("a client id is 2–64 characters").And.Contain("unknown scope 'nonsense'"));

        var javascriptHome = await OperatorShell.RunAsync(factory.ConnectionString,
            "clients", "add", "tile", "--name", "x", "--redirect-uri", "https://tile.kosmo.test/cb", "--home-url", "javascript:alert(1)");
        Assert.That(javascriptHome.Exit, Is.EqualTo(2));
        Assert.That(javascriptHome.Errors, Does.Contain("'javascript:alert(1)' is not an absolute http(s) URL"));
        var javascriptHomeLater = await OperatorShell.RunAsync(factory.ConnectionString, "clients", "update", "nightly-batch", "--home-url", "javascript:alert(1)");
        Assert.That(javascriptHomeLater.Exit, Is.EqualTo(2));
        Assert.That(javascriptHomeLater.Errors, Does.Contain("'javascript:alert(1)' is not an absolute http(s) URL"));

        // Configured but not yet synced to this database: the next start would take an operator's app over.
        var notSynced = await OperatorShell.RunAsync(factory.ConnectionString,
            new Dictionary<string, string?> { ["RelyingApps__Apps__5__ClientId"] = "coming-soon" },
            "clients", "add", "coming-soon", "--name", "x", "--redirect-uri", "https://soon.kosmo.test/cb");
        Assert.That(notSynced.Exit, Is.EqualTo(2));
        Assert.That(notSynced.Errors, Does.Contain("is a relying app of the configuration"));

        // Registered by an operator, then declared in the configuration as well: the next start takes it over.
        foreach (var command in new[] { new[] { "clients", "update", "nightly-batch", "--name", "y" }, ["clients", "remove", "nightly-batch"] })
        {
            var takenOver = await OperatorShell.RunAsync(factory.ConnectionString,
                new Dictionary<string, string?> { ["RelyingApps__Apps__5__ClientId"] = "nightly-batch" }, command);
            Assert.That(takenOver.Exit, Is.EqualTo(2), command[1]);
            Assert.That(takenOver.Errors, Does.Contain("now declared in the configuration"), command[1]);
        }

        var configured = await OperatorShell.RunAsync(factory.ConnectionString, "clients", "remove", "portal");
        Assert.That(configured.Exit, Is.EqualTo(2));
        Assert.That(configured.Errors, Does.Contain("managed by configuration"));

        var unknown = await OperatorShell.RunAsync(factory.ConnectionString, "clients", "update", "nobody", "--name", "x");
        Assert.That(unknown.Exit, Is.EqualTo(1));
        Assert.That(unknown.Errors, Does.Contain("No relying app 'nobody'"));

        var unclear = await OperatorShell.RunAsync(factory.ConnectionString, "clients", "update", "nobody", "--client-credentials", "maybe");
        Assert.That(unclear.Exit, Is.EqualTo(2));
        Assert.That(unclear.Errors, Does.Contain("--client-credentials takes true or false, not 'maybe'"));
    }

    private static async Task<string?> BackchannelLogoutUriAsync(KosmoFactory factory, string clientId)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<OpenIddict.Abstractions.IOpenIddictApplicationManager>();
        var properties = await applications.GetPropertiesAsync((await applications.FindByClientIdAsync(clientId))!);
        return properties.TryGetValue(Kosmo.Idp.Protocol.Logout.BackchannelLogout.UriProperty, out var uri) ? uri.GetString() : null;
    }

    private static async Task<string?> EnglishNameAsync(KosmoFactory factory, string clientId)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<OpenIddict.Abstractions.IOpenIddictApplicationManager>();
        var names = await applications.GetDisplayNamesAsync((await applications.FindByClientIdAsync(clientId))!);
        return names.GetValueOrDefault(System.Globalization.CultureInfo.GetCultureInfo("en"));
    }

    private static string SecretIn(string output)
    {
        var line = output.Split('\n').SingleOrDefault(l => l.StartsWith("Client secret", StringComparison.Ordinal));
        Assert.That(line, Is.Not.Null, output);
        return line![(line!.LastIndexOf(' ') + 1)..].Trim();
    }

    private static async Task<HttpStatusCode> ClientCredentialsAsync(KosmoFactory factory, string clientId, string secret)
    {
        using var client = factory.Browser();
        var response = await client.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret,
        }));
        if (response.StatusCode == HttpStatusCode.OK)
        {
            Assert.That(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.TryGetProperty("access_token", out _));
        }

        return response.StatusCode;
    }
}
