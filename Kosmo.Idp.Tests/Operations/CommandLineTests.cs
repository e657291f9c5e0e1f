using Kosmo.Idp.Operations.Cli;
using Kosmo.Idp.Tests.Infrastructure;
using Npgsql;

namespace Kosmo.Idp.Tests.Operations;

[NonParallelizable] // sets process environment variables, as an operator's shell would
public sealed class CommandLineTests
{
    [Test]
    public async Task Migrate_OnAnEmptyDatabase_CreatesTheSchemaAndKeys_AndExitsZero()
    {
        var connection = await PostgresServer.CreateDatabaseAsync();
        var exit = await WithEnvironmentAsync(connection, () => KosmoCommandLine.RunAsync(["migrate"]));

        Assert.That(exit, Is.Zero);
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM protocol_keys", db);
        Assert.That((long)(await command.ExecuteScalarAsync())!, Is.EqualTo(3), "signing, encryption and client-secret keys");
    }

    [Test]
    public async Task Migrate_WithSettingsTheServiceWouldRefuse_FailsTheRolloutsGate_BeforeMigratingAnything()
    {
        var connection = await PostgresServer.CreateDatabaseAsync();
        var refused = new Dictionary<string, string?> { ["Session__IdleTimeout"] = "13:00:00", ["PasswordPolicy__MinimumLength"] = "3" };

        var (exit, output, errors) = await OperatorShell.RunAsync(connection, refused, "migrate");

        Assert.That(exit, Is.EqualTo(1), output);
        Assert.That(errors, Does.StartWith("Failed: the service would refuse these settings")
            .And.Contain("settings section Session").And.Contain("settings section PasswordPolicy"));
        Assert.That(output + errors, Does.Not.Contain("   at "), "no stack trace");
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT to_regclass('protocol_keys') IS NULL", db);
        Assert.That((bool)(await command.ExecuteScalarAsync())!, Is.True, "nothing migrated");
    }

    [Test]
    public async Task Migrate_WithADatabaseSettingTheServiceCannotRead_FailsTheRolloutsGate_BeforeMigratingAnything()
    {
        var connection = await PostgresServer.CreateDatabaseAsync();

        var (exit, output, errors) = await OperatorShell.RunAsync(connection, new Dictionary<string, string?> { ["Database__MigrateOnStart"] = "maybe" }, "migrate");

        Assert.That(exit, Is.EqualTo(1), output);
        Assert.That(errors, Does.StartWith("Failed: the service would refuse these settings").And.Contain("Database:MigrateOnStart"));
        Assert.That(output, Does.Not.Contain("Database is current"));
    }

    [Test]
    public async Task BadUsage_ExitsTwo_AndSaysWhatWasWrong()
    {
        var (exit, _, errors) = await OperatorShell.RunAsync(connectionString: "", "members", "import", "roster.csv", "--no-such-option");

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors, Does.Contain("--no-such-option").And.Contain("--help"));
    }

    [Test]
    public async Task KeysRotate_AddsAnAnnouncedKey_ThatKeysListShows()
    {
        var connection = await PostgresServer.CreateDatabaseAsync();
        await WithEnvironmentAsync(connection, () => KosmoCommandLine.RunAsync(["migrate"]));
        var output = new StringWriter();
        var original = Console.Out;
        Console.SetOut(output);
        try
        {
            Assert.That(await WithEnvironmentAsync(connection, () => KosmoCommandLine.RunAsync(["keys", "rotate", "--announce", "02:00:00"])), Is.Zero);
            Assert.That(await WithEnvironmentAsync(connection, () => KosmoCommandLine.RunAsync(["keys", "list"])), Is.Zero);
        }
        finally
        {
            Console.SetOut(original);
        }

        Assert.That(output.ToString(), Does.Contain("signing").And.Contain("announced"));
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var audited = new NpgsqlCommand("SELECT detail FROM audit_events WHERE kind = 'keys.rotated'", db);
        Assert.That((string?)await audited.ExecuteScalarAsync(), Does.StartWith("signing key").And.Contain("generation 2").And.Contain("by "),
            "who added a key, and when it takes over, is asked after an incident");
    }

    [Test]
    public async Task KeysRotate_KeepsTheOperatorsReasonInTheAuditEvent()
    {
        var connection = await PostgresServer.CreateDatabaseAsync();
        Assert.That((await OperatorShell.RunAsync(connection, "migrate")).Exit, Is.Zero);

        Assert.That((await OperatorShell.RunAsync(connection, "keys", "rotate", "--reason", "yearly rotation, ticket 881")).Exit, Is.Zero);
        Assert.That((await OperatorShell.RunAsync(connection, "keys", "rotate", "--encryption", "--reason", "ticket 882")).Exit, Is.Zero);

        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var audited = new NpgsqlCommand("SELECT string_agg(detail, ' | ' ORDER BY detail DESC) FROM audit_events WHERE kind = 'keys.rotated'", db);
        var details = (string?)await audited.ExecuteScalarAsync();
        Assert.That(details, Does.Contain("signing key").And.Contain("reason: yearly rotation, ticket 881"));
        Assert.That(details, Does.Contain("encryption key").And.Contain("reason: ticket 882"));
    }

    [Test]
    public async Task KeysList_SaysUntilWhenASupersededKeyIsStillPublished()
    {
        var connection = await PostgresServer.CreateDatabaseAsync();
        Assert.That((await OperatorShell.RunAsync(connection, "migrate")).Exit, Is.Zero);
        // Nought needs no unit: the new key signs at once.
        Assert.That((await OperatorShell.RunAsync(connection, "keys", "rotate", "--announce", "0")).Exit, Is.Zero);

        var (exit, listed, errors) = await OperatorShell.RunAsync(connection, "keys", "list");

        Assert.That(exit, Is.Zero, errors);
        Assert.That(listed, Does.Match(@"signing +2 .* signing").And.Match(@"signing +1 .* published until \d{4}-\d\d-\d\d \d\d:\d\d"),
            "an operator sees when the old key leaves the key set");
    }

    [Test]
    public async Task ADatabaseWithoutTheSchema_SaysToRunMigrateFirst()
    {
        var empty = await PostgresServer.CreateDatabaseAsync();

        var (exit, output, errors) = await OperatorShell.RunAsync(empty, "keys", "list");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(errors, Does.StartWith("Failed: the database is not migrated to this version").And.Contain("Run `migrate` first"));
        Assert.That(output + errors, Does.Not.Contain("   at "), "no stack trace");
        Assert.That(errors.Trim().Split('\n').Where(line => line.StartsWith("Failed:", StringComparison.Ordinal)), Has.Exactly(1).Items);
        Assert.That(errors, Does.Not.Contain("POSITION"), "one line, without the statement's position");
    }

    [Test]
    public async Task ACommandRunFromTheWrongFolder_NamesTheMissingSqliteFile_AndLeavesNoEmptyDatabaseThere()
    {
        // As App_Data/kosmo.db read from a folder that has no App_Data.
        var folder = Path.Combine(Path.GetTempPath(), $"kosmo-elsewhere-{Guid.NewGuid():N}");
        var file = Path.Combine(folder, "kosmo.db");
        var development = new Dictionary<string, string?> { ["Database__SqlitePath"] = file, ["DOTNET_ENVIRONMENT"] = "Development" };

        var (exit, output, errors) = await OperatorShell.RunAsync("", development, "members", "show", "K0001");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(errors, Does.StartWith($"Failed: there is no database at {file}.").And.Contain("folder the service runs in"));
        Assert.That(output + errors, Does.Not.Contain("migrate"), "migrating there would make a second, empty database");
        Assert.That(Directory.Exists(folder), Is.False, "the command created no database file, nor an empty folder for one");
    }

    [Test]
    public async Task Migrate_CreatesTheSqliteFileItIsPointedAt_InAFolderOnlyItsOwnerReads()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"kosmo-migrated-{Guid.NewGuid():N}");
        var file = Path.Combine(folder, "kosmo.db");
        var development = new Dictionary<string, string?> { ["Database__SqlitePath"] = file, ["DOTNET_ENVIRONMENT"] = "Development" };
        try
        {
            var (exit, _, errors) = await OperatorShell.RunAsync("", development, "migrate");

            Assert.That(exit, Is.Zero, errors);
            if (!OperatingSystem.IsWindows())
            {
                Assert.That(File.GetUnixFileMode(folder), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute),
                    "the development ring in it is unencrypted");
            }
            Assert.That((await OperatorShell.RunAsync("", development, "keys", "list")).Exit, Is.Zero, "the other commands find it");
        }
        finally
        {
            SqliteFiles.Delete(file);
            Directory.Delete(folder);
        }
    }

    [Test]
    public async Task ADatabaseThatCannotBeReached_IsOneLineOnStderr_ExitOne_WithoutAStackTrace()
    {
        var (exit, output, errors) = await OperatorShell.RunAsync("Host=127.0.0.1;Port=9;Username=kosmo;Database=kosmo;Timeout=2", "members", "show", "K0001");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(errors, Does.StartWith("Failed: the database could not be reached").And.Contain("ConnectionStrings__Kosmo"));
        Assert.That(output + errors, Does.Not.Contain("   at "), "no stack trace");
    }

    [Test]
    public async Task KeysRotate_WithAnAnnouncementOutOfRange_IsBadUsage()
    {
        var connection = await PostgresServer.CreateDatabaseAsync();
        var (exit, _, errors) = await OperatorShell.RunAsync(connection, "keys", "rotate", "--announce", "10675199.00:00:00");

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors, Does.Contain("--announce must be between 0 and 30 days"));
    }

    [TestCase("keys rotate --announce soon", "--announce 'soon' is not a duration")]
    [TestCase("keys rotate --announce 12", "--announce '12' is not a duration")]
    [TestCase("clients add x1 --name x --redirect-uri https://x.test/cb --kind Server", "--kind 'Server' is not a kind of app: Confidential or Public")]
    [TestCase("clients update e-application", "Nothing to change")]
    [TestCase("audit --since 2026-11-02 --until 2026-11-01", "--since must be earlier than --until")]
    // An option without its value would take the next option as its value: a dry run imported for real.
    [TestCase("members import roster.csv --notices --dry-run", "--notices needs a value: '--dry-run' stands where it should be")]
    [TestCase("keys rotate --reason --encryption", "--reason needs a value: '--encryption'")]
    [TestCase("clients update x14 --english-name --rotate-secret", "--english-name needs a value: '--rotate-secret'")]
    [TestCase("clients add x10 --name N --redirect-uri https://a.example.jp/cb --bogus", "Unrecognized command or argument '--bogus'")]
    [TestCase("clients add x10 --name N --redirect-uri https://a.example.jp/cb --redirect-uri --kind", "--redirect-uri needs a value: '--kind'")]
    [TestCase("--version extra", "Unrecognized command or argument 'extra'")]
    public async Task AValueOfTheWrongShape_IsBadUsage_InTheOperatorsTerms(string command, string message)
    {
        var (exit, _, errors) = await OperatorShell.RunAsync(connectionString: "", command.Split(' '));

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors, Does.Contain(message).And.Not.Contain("System.").And.Not.Contain("Kosmo.Idp."), "no type names");
    }

    // Without its command, an option would start a second service in the operator's pod.
    [TestCase("--dry-run", "--dry-run")]
    [TestCase("--yes", "--yes")]
    [TestCase("-x", "-x")]
    [TestCase("--urls http://localhost:5080 --reason=lost-phone", "--reason=lost-phone")]
    [TestCase("/yes", "/yes")]
    // The host's own arguments, and settings given on the command line, still start it.
    [TestCase("--urls http://localhost:5080", null)]
    [TestCase("--environment=Staging --Logging:LogLevel:Default Warning", null)]
    [TestCase("--Keys:SigningKeyAnnouncement -1.00:00:00", null)]
    public void AnOptionWithoutItsCommand_IsStray_SettingsAreNot(string args, string? stray)
    {
        Assert.That(KosmoCommandLine.StrayOption(args.Split(' ')), Is.EqualTo(stray));
    }

    [TestCase("")]
    [TestCase("  ")]
    public async Task AuditForABlankMember_IsBadUsage_NotAnUnknownMember(string userId)
    {
        var (exit, _, errors) = await OperatorShell.RunAsync(connectionString: "", "audit", "--member", userId);

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors, Does.Contain("--member: the user ID is empty").And.Not.Contain("No member"));
    }

    [Test]
    public async Task ADeploymentWithoutItsBasicSettings_IsToldOfEachAtOnce_NotOneASpellAfterTheOther()
    {
        var production = new Dictionary<string, string?>
        {
            ["DOTNET_ENVIRONMENT"] = "Production", ["Mail__Delivery"] = null, ["Mail__Folder"] = null,
        };

        var (exit, output, errors) = await OperatorShell.RunAsync(connectionString: "", production, "members", "show", "K0001");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(errors, Does.StartWith("Failed: the service would refuse these settings")
            .And.Contain("ConnectionStrings:Kosmo").And.Contain("DataProtection:CertificatePath")
            .And.Contain("Protocol:Issuer").And.Contain("Mail:SendGrid:ApiKey"));
        Assert.That(output + errors, Does.Not.Contain("   at ").And.Not.Contain("One or more errors"), "one line, no stack trace");
    }

    [Test]
    public async Task ImportingAFolder_SaysItIsAFolder()
    {
        var (exit, _, errors) = await OperatorShell.RunAsync(await PostgresServer.CreateDatabaseAsync(), "members", "import", Path.GetTempPath(), "--dry-run");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(errors, Does.Contain("is a folder: name the roster file in it"));
    }

    [Test]
    public async Task AnUnknownCommand_IsBadUsage_NamedAlone()
    {
        var connection = await PostgresServer.CreateDatabaseAsync();
        var (exit, _, errors) = await OperatorShell.RunAsync(connection, "no-such-command");
        Assert.That(exit, Is.EqualTo(2));
        Assert.That(errors, Does.Contain("'no-such-command'").And.Not.Contain("Required command"), "a mistyped command is not also a missing one");
    }

    private static async Task<int> WithEnvironmentAsync(string connection, Func<Task<int>> run)
    {
        var variables = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Kosmo"] = connection,
            ["DOTNET_ENVIRONMENT"] = "Testing",
            // Settings the service would refuse fail `migrate`: mail has to be set up, as in a deployment.
            ["Mail__Delivery"] = "Folder",
            ["Mail__Folder"] = Path.Combine(Path.GetTempPath(), "kosmo-operator-mail"),
        };
        var previous = variables.Keys.ToDictionary(k => k, Environment.GetEnvironmentVariable);
        foreach (var (key, value) in variables)
        {
            Environment.SetEnvironmentVariable(key, value);
        }

        try
        {
            return await run();
        }
        finally
        {
            foreach (var (key, value) in previous)
            {
                Environment.SetEnvironmentVariable(key, value);
            }
        }
    }
}
