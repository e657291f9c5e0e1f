using System.Net;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.Abstractions;

namespace Kosmo.Idp.Tests.Operations;

public sealed class ConfigurationTests
{
    [TestCase("Session:IdleTimeout=13:00:00", "IdleTimeout")]
    [TestCase("Session:IdleTimeout=02:00:00;Session:ReauthenticateAfter=01:00:00", "Session:IdleTimeout cannot be longer")]
    [TestCase("Account:RecentSignIn=00:00:00", "RecentSignIn")]
    [TestCase("BackchannelLogout:Timeout=00:05:00", "Timeout")]
    [TestCase("BackchannelLogout:RetryFor=30.00:00:00", "RetryFor")]
    [TestCase("SignInLockout:FreeAttempts=-3", "FreeAttempts")]
    [TestCase("SignInLockout:FirstLockout=-00:05:00", "FirstLockout")]
    [TestCase("SignInLockout:FirstLockout=00:10:00;SignInLockout:MaximumLockout=00:05:00", "MaximumLockout cannot be shorter")]
    [TestCase("SignInLockout:MaximumLockout=02:00:00;SignInLockout:FailureMemory=01:00:00", "FailureMemory must be longer")]
    [TestCase("Keys:SigningKeyAnnouncement=-1.00:00:00", "SigningKeyAnnouncement")]
    [TestCase("RelyingApps:Apps:0:ClientId=Bad App!", "a client id is 2–64 characters")]
    [TestCase("RelyingApps:Apps:0:Scopes:1=offline-access", "unknown scope 'offline-access'")]
    [TestCase("RelyingApps:Apps:0:EnglishDisplayName=  ", "EnglishDisplayName, when given, must not be blank")]
    [TestCase("RelyingApps:Apps:0:ClientId=0b9f6c1e-3f5a-4d8e-9b1c-2a7d4e6f8a90", "must not be a GUID")]
    [TestCase("RelyingApps:Apps:0:HomeUrl=javascript:alert(1)", "must be an https address")]
    [TestCase("RelyingApps:Apps:0:RedirectUris:1=https://user:pw@portal.example/cb", "must not carry a user name or password")]
    [TestCase("Mail:SendGrid:Timeout=00:00:00", "Timeout")]
    [TestCase("Pruning:AuditRetention=00:00:00", "AuditRetention")]
    [TestCase("Protocol:Issuer=https://society.example/idp/", "without a path")]
    // An entry of a list the binder could not read would otherwise be left out without a word (and the app removed).
    [TestCase("RelyingApps:Apps:0:Kind=Publik", "RelyingApps:Apps:0:Kind")]
    [TestCase("RelyingApps:Apps:0:AllowClientCredentials=yes", "RelyingApps:Apps:0:AllowClientCredentials")]
    [TestCase("RelyingApps:Apps:0:HomeUrl=https://[portal", "RelyingApps:Apps:0:HomeUrl")]
    [TestCase("RelyingApps:Apps:0:RedirectUris:1=https://[portal/callback", "RelyingApps:Apps:0:RedirectUris:1")]
    [TestCase("RelyingApps:Apps:0:RedirectUris:1=", "RelyingApps:Apps:0:RedirectUris:1: the entry is empty")]
    [TestCase("Proxy:TrustedNetworks=10.0.0.0/8", "Proxy:TrustedNetworks is a list")]
    [TestCase("Mail:SendGrid:Host=api.sendgrid.com", "Mail:SendGrid:Host must be an absolute http(s) URL")]
    [TestCase("Society:Contact=健保 \u001b[2J 03-1234-5678", "Society:Contact must be one line of plain text")]
    [TestCase("Society:Contact=健保\u2028電話 03-1234-5678", "Society:Contact must be one line of plain text")]
    [TestCase("Society:EnglishContact=Membership desk", "Society:EnglishContact needs Society:Contact")]
    public void ASettingOutOfRangeOrUnreadable_StopsTheStart_NamingIt(string settings, string message)
    {
        var configuration = settings.Split(';').Select(s => s.Split('=')).ToDictionary(kv => kv[0], kv => (string?)kv[1]);
        var failure = Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(async () =>
        {
            await using var factory = await KosmoFactory.StartAsync(configuration);
        });
        Assert.That(failure!.Message, Does.Contain(message));
    }

    [TestCase("Production")]
    [TestCase("Staging")]
    public void AnyDeployedEnvironment_NeedsItsIssuer_NotOnlyOneNamedProduction(string name)
    {
        var environment = new Microsoft.Extensions.Hosting.Internal.HostingEnvironment { EnvironmentName = name };
        var validation = new Kosmo.Idp.Protocol.ProtocolOptionsValidation(environment);

        var refused = validation.Validate(null, new Kosmo.Idp.Protocol.ProtocolOptions { Issuer = null });
        Assert.That(refused.Failed, Is.True, "links in mails would otherwise follow the request's Host header");
        Assert.That(refused.FailureMessage, Does.Contain("Protocol:Issuer must be set"));

        var developer = new Kosmo.Idp.Protocol.ProtocolOptionsValidation(new Microsoft.Extensions.Hosting.Internal.HostingEnvironment { EnvironmentName = "Development" });
        Assert.That(developer.Validate(null, new Kosmo.Idp.Protocol.ProtocolOptions { Issuer = null }).Succeeded, Is.True, "a developer's machine takes the request's address");
    }

    [Test]
    public void AMissingOrUnreadableDataProtectionCertificate_StopsTheStart_NamingThePath()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"kosmo-missing-{Guid.NewGuid():N}.pfx");
        var garbage = Path.GetTempFileName();
        File.WriteAllText(garbage, "not a certificate");
        // An export without the key (openssl pkcs12 -export -nokeys): the ring could be written, never read.
        var keyless = Path.GetTempFileName();
        using (var rsa = System.Security.Cryptography.RSA.Create(2048))
        {
            var request = new System.Security.Cryptography.X509Certificates.CertificateRequest(
                "CN=kosmo-keyless", rsa, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
            using var self = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
            using var publicOnly = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(self.RawData);
            File.WriteAllBytes(keyless, publicOnly.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx, "whatever"));
        }

        try
        {
            foreach (var (path, message) in new[] { (missing, "does not exist"), (garbage, "could not be read as a PFX file"), (keyless, "no private key") })
            {
                var failure = Assert.ThrowsAsync<Kosmo.Idp.Operations.Startup.SettingRefusedException>(async () =>
                {
                    await using var factory = await KosmoFactory.StartAsync(new Dictionary<string, string?>
                    {
                        ["DataProtection:CertificatePath"] = path,
                        ["DataProtection:CertificatePassword"] = "whatever",
                    });
                });
                Assert.That(failure!.Message, Does.Contain(path).And.Contain(message));
            }
        }
        finally
        {
            File.Delete(garbage);
            File.Delete(keyless);
        }
    }

    [Test]
    public async Task AReplicaGivenAnotherDataProtectionCertificate_StopsNamingBoth_AndAddsNoKeyTheOthersCannotRead()
    {
        var (society, other) = (SelfSignedPfx("CN=kosmo-data-protection"), SelfSignedPfx("CN=someone-else"));
        try
        {
            var connectionString = await PostgresServer.CreateDatabaseAsync();
            Dictionary<string, string?> With(string path) => new() { ["DataProtection:CertificatePath"] = path, ["DataProtection:CertificatePassword"] = "pfx-password" };
            await using (var first = new KosmoFactory(connectionString, With(society)))
            {
                _ = first.Server;
            }

            var keysBefore = await CountKeysAsync(connectionString);
            var failure = Assert.ThrowsAsync<Kosmo.Idp.Operations.Startup.SettingRefusedException>(async () =>
            {
                await using var wrong = new KosmoFactory(connectionString, With(other));
                _ = wrong.Server;
            });
            Assert.That(failure!.Message, Does.Contain("names the certificate CN=someone-else").And.Contain("encrypted with CN=kosmo-data-protection"));
            Assert.That(await CountKeysAsync(connectionString), Is.EqualTo(keysBefore), "no key only the wrong certificate could read");

            // The operator commands stop the same way: `migrate`, the Job that gates a rollout, fails it.
            var withOther = new Dictionary<string, string?> { ["DataProtection__CertificatePath"] = other, ["DataProtection__CertificatePassword"] = "pfx-password" };
            foreach (var command in new[] { new[] { "migrate" }, ["clients", "list"], ["members", "show", "nobody"] })
            {
                var (exit, output, errors) = await OperatorShell.RunAsync(connectionString, withOther, command);
                Assert.That(exit, Is.EqualTo(1), string.Join(' ', command) + ": " + output);
                Assert.That(errors, Does.Contain("Failed: the service would refuse these settings, so nothing was done: DataProtection:CertificatePath names the certificate CN=someone-else").And.Not.Contain("   at "), string.Join(' ', command));
            }

            Assert.That(await CountKeysAsync(connectionString), Is.EqualTo(keysBefore));

            await using var again = new KosmoFactory(connectionString, With(society));
            Assert.That((await again.Browser().GetAsync("/health/ready")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        finally
        {
            File.Delete(society);
            File.Delete(other);
        }
    }

    [Test]
    public async Task KeysStoredUnencryptedByAProcessWithoutTheCertificate_AreReportedByEveryCommandThatHasIt()
    {
        var society = SelfSignedPfx("CN=kosmo-data-protection");
        try
        {
            var connectionString = await PostgresServer.CreateDatabaseAsync();
            // A run with a developer's settings against this database: its keys are stored in plain text.
            await using (var developer = new KosmoFactory(connectionString))
            {
                _ = developer.Server;
            }

            var withCertificate = new Dictionary<string, string?> { ["DataProtection__CertificatePath"] = society, ["DataProtection__CertificatePassword"] = "pfx-password" };
            var (exit, _, errors) = await OperatorShell.RunAsync(connectionString, withCertificate, "clients", "list");

            Assert.That(exit, Is.Zero, errors);
            Assert.That(errors, Does.Contain("Warning: 1 Data Protection key(s) in the database are stored unencrypted"));

            var (_, _, withoutCertificate) = await OperatorShell.RunAsync(connectionString, "clients", "list");
            Assert.That(withoutCertificate, Does.Not.Contain("unencrypted"), "a developer's own database is not warned about");
        }
        finally
        {
            File.Delete(society);
        }
    }

    private static string SelfSignedPfx(string subject)
    {
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest(
            subject, rsa, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var path = Path.Combine(Path.GetTempPath(), $"kosmo-dp-{Guid.NewGuid():N}.pfx");
        File.WriteAllBytes(path, certificate.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx, "pfx-password"));
        return path;
    }

    private static async Task<long> CountKeysAsync(string connectionString)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var count = new Npgsql.NpgsqlCommand("select count(*) from data_protection_keys", connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    [Test]
    public async Task WithoutAPostgresConnectionString_TheServiceRunsOnAnEmbeddedSqliteFile()
    {
        var file = SqliteFiles.NewPath("store");
        await using var portal = await LogoutCatcher.StartAsync();
        try
        {
            await using var factory = new KosmoFactory("", new Dictionary<string, string?>
            {
                ["Database:SqlitePath"] = file,
                ["RelyingApps:Apps:0:BackchannelLogoutUri"] = portal.Endpoint.AbsoluteUri,
                // The test sends the notices itself, below.
                ["BackchannelLogout:PollInterval"] = "00:10:00",
            });
            await TestMembers.AddAsync(factory, "S0001", "sqlite-password-1");
            var app = TestRelyingApp.Portal(factory);
            var tokens = await app.SignedInTokensAsync("S0001", "sqlite-password-1");

            Assert.That(tokens.Status, Is.EqualTo(HttpStatusCode.OK), tokens.Body.ToString());
            Assert.That(File.Exists(file), Is.True);

            // Background work runs there too: a pruning pass (batched deletes) works on SQLite.
            await using var scope = factory.Services.CreateAsyncScope();
            Assert.That(await scope.ServiceProvider.GetRequiredService<Kosmo.Idp.Operations.Maintenance.Pruner>().RunOnceAsync(CancellationToken.None), Is.Not.Null);

            // Signing everyone out revokes with UPDATE … RETURNING, which SQLite has too, and its
            // logout notices (binary-tick dates, compared in SQL) are sent from there.
            var everyone = await scope.ServiceProvider.GetRequiredService<Kosmo.Idp.Operations.MemberCommands.MemberAdministration>()
                .SignOutEveryoneAsync(new("test", null), CancellationToken.None);
            Assert.That(everyone.Changes, Does.Contain("1 logout notice(s) queued for relying apps with a back-channel logout URI"));
            var sent = await scope.ServiceProvider.GetRequiredService<Kosmo.Idp.Protocol.Logout.LogoutNoticeDispatcher>().RunOnceAsync(CancellationToken.None);
            Assert.That(sent!.Delivered, Is.EqualTo(1));
            Assert.That(portal.Tokens, Has.Count.EqualTo(1));
        }
        finally
        {
            SqliteFiles.Delete(file);
        }
    }

    [Test]
    public async Task OnTheEmbeddedSqliteFile_ALoginWhileAnotherRequestIsReading_IsNotRefusedForALockedDatabase()
    {
        // In SQLite's default journal a commit waits for every reader to finish, and the driver gave
        // up at once: a developer with two tabs, or a demo with a few colleagues, got 503 "database is locked".
        var file = SqliteFiles.NewPath("parallel");
        try
        {
            await using var factory = new KosmoFactory("", new Dictionary<string, string?> { ["Database:SqlitePath"] = file });
            await TestMembers.AddAsync(factory, "S0002", "sqlite-password-2");
            var browser = factory.Browser();
            var page = await browser.GetAsync("/login");

            // Another request, slow to read its rows: it holds its read lock until it is done.
            await using var reader = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={file};Pooling=False");
            await reader.OpenAsync();
            await using var reading = reader.BeginTransaction(deferred: true);
            await using (var read = reader.CreateCommand())
            {
                read.CommandText = "SELECT count(*) FROM members";
                Assert.That(await read.ExecuteScalarAsync(), Is.EqualTo(1L));
            }

            var finishReading = Task.Delay(TimeSpan.FromSeconds(1)).ContinueWith(_ => reading.Commit(), TaskScheduler.Default);
            var login = await HtmlForm.SubmitAsync(browser, page, new Dictionary<string, string> { ["UserId"] = "S0002", ["Password"] = "sqlite-password-2" });
            await finishReading;

            Assert.That(login.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await login.Content.ReadAsStringAsync());
        }
        finally
        {
            SqliteFiles.Delete(file);
        }
    }

    [Test]
    public async Task ThePostgresConnection_SkipsKerberosEncryption_UnlessTheConnectionStringAsksForIt()
    {
        var connection = await PostgresServer.CreateDatabaseAsync();
        foreach (var (configured, expected) in new[] { (connection, "Disable"), (connection + ";GSS Encryption Mode=Prefer", "Prefer") })
        {
            await using var factory = new KosmoFactory(configured);
            await using var scope = factory.Services.CreateAsyncScope();
            var used = new Npgsql.NpgsqlConnectionStringBuilder(scope.ServiceProvider.GetRequiredService<Kosmo.Idp.Persistence.KosmoDbContext>().Database.GetConnectionString());
            Assert.That(used.GssEncryptionMode.ToString(), Is.EqualTo(expected));
        }
    }

    [Test]
    public void AConnectionStringNpgsqlCannotRead_StopsTheStart_NamingTheSettingButNotThePassword()
    {
        var failure = Assert.ThrowsAsync<Kosmo.Idp.Operations.Startup.SettingRefusedException>(async () =>
        {
            await using var factory = new KosmoFactory("Host=db.internal;Prot=5432;Password=hunter2-secret");
            _ = factory.Server;
        });
        Assert.That(failure!.Message, Does.Contain("ConnectionStrings:Kosmo").And.Contain("prot").And.Not.Contain("hunter2"));
    }

    [Test]
    public void APasswordWithAnUnquotedSemicolon_StopsTheStart_WithoutRepeatingItsRest()
    {
        var failure = Assert.ThrowsAsync<Kosmo.Idp.Operations.Startup.SettingRefusedException>(async () =>
        {
            await using var factory = new KosmoFactory("Host=db.internal;Password=hunter2;RestOfMy=Password9");
            _ = factory.Server;
        });
        Assert.That(failure!.Message, Does.Contain("quote such a password").And.Not.Contain("hunter2").And.Not.Contain("restofmy").IgnoreCase.And.Not.Contain("Password9"));
    }

    [Test]
    public async Task AnAppRemovedFromConfiguration_IsRemoved_WhileAnAppRegisteredOtherwiseStays()
    {
        var connection = await PostgresServer.CreateDatabaseAsync();
        await using (var first = new KosmoFactory(connection, new Dictionary<string, string?>
        {
            ["RelyingApps:Apps:2:ClientId"] = "retired-app",
            ["RelyingApps:Apps:2:DisplayName"] = "Retired",
            ["RelyingApps:Apps:2:Kind"] = "Public",
            ["RelyingApps:Apps:2:RedirectUris:0"] = "https://retired.test/cb",
        }))
        {
            await using var scope = first.Services.CreateAsyncScope();
            var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
            Assert.That(await applications.FindByClientIdAsync("retired-app"), Is.Not.Null);
            await applications.CreateAsync(new OpenIddictApplicationDescriptor
            {
                ClientId = "operator-app",
                ClientType = OpenIddictConstants.ClientTypes.Public,
                RedirectUris = { new Uri("https://operator.test/cb") },
            });
        }

        await using var second = new KosmoFactory(connection);
        await using var check = second.Services.CreateAsyncScope();
        var manager = check.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        Assert.That(await manager.FindByClientIdAsync("retired-app"), Is.Null);
        Assert.That(await manager.FindByClientIdAsync("operator-app"), Is.Not.Null);
        Assert.That(await manager.FindByClientIdAsync(KosmoFactory.PortalClientId), Is.Not.Null);
    }
}
