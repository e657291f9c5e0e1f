using System.CommandLine;
using Kosmo.Idp.Members.Roster;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Persistence;
using Kosmo.Idp.Protocol;
using Kosmo.Idp.Protocol.Keys;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Operations.Cli;

/// <summary>
/// Operator commands, run with the same binary and configuration as the service
/// (`Kosmo.Idp migrate`, `Kosmo.Idp keys rotate`). Exit code 0 on success, 1 on failure, 2 on bad usage;
/// `members import` adds 3, see <see cref="RosterImportExit"/>.
/// </summary>
public static class KosmoCommandLine
{
    /// <summary>Options start with a dash (the host's own --urls, --environment); a first word is a command.</summary>
    public static bool IsCommand(string[] args) => args.Length > 0 && !args[0].StartsWith('-');

    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("Kosmo.Idp: the society's OpenID Connect provider. Without a command it runs the service.");
        root.Subcommands.Add(Migrate());
        root.Subcommands.Add(Keys());
        root.Subcommands.Add(Members());
        var parsed = root.Parse(args);
        // System.CommandLine answers a parse error with 1; operators' scripts tell bad usage (2) from failure (1).
        if (parsed.Errors.Count > 0 && !args.Contains("--help") && !args.Contains("-h"))
        {
            foreach (var error in parsed.Errors)
            {
                Console.Error.WriteLine(error.Message);
            }

            Console.Error.WriteLine("Run with --help for usage.");
            return 2;
        }

        return await parsed.InvokeAsync();
    }

    private static Command Migrate()
    {
        var command = new Command("migrate", "Apply pending database migrations and create the protocol keys, then exit.");
        command.SetAction((_, cancellationToken) => WithServicesAsync(async services =>
        {
            await services.GetRequiredService<DatabaseMigrator>().MigrateAsync(cancellationToken);
            await services.GetRequiredService<ProtocolKeyStore>().EnsureCreatedAsync(cancellationToken);
            Console.WriteLine("Database is current.");
            return 0;
        }));
        return command;
    }

    private static Command Keys()
    {
        var keys = new Command("keys", "Token signing keys.");

        var list = new Command("list", "List the keys with their state.");
        list.SetAction((_, cancellationToken) => WithServicesAsync(async services =>
        {
            var all = await services.GetRequiredService<ProtocolKeyStore>().ListAsync(cancellationToken);
            var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
            var retention = services.GetRequiredService<IOptions<ProtocolOptions>>().Value.LongestTokenLifetime;
            var signing = all.Where(k => k.Purpose == ProtocolKeyPurpose.Signing).ToList();
            var inUse = KeySchedule.InUse(signing, now, retention);
            Console.WriteLine($"{"generation",-10} {"kid",-18} {"activates (UTC)",-20} state");
            foreach (var key in signing.OrderBy(k => k.Generation))
            {
                var state = inUse.Count > 0 && inUse[0] == key ? "signing"
                    : !inUse.Contains(key) ? "retired"
                    : key.ActivatesAt > now ? "announced" : "published";
                Console.WriteLine($"{key.Generation,-10} {key.KeyId,-18} {key.ActivatesAt.UtcDateTime,-20:yyyy-MM-dd HH:mm} {state}");
            }

            return 0;
        }));

        var announce = new Option<TimeSpan?>("--announce")
        {
            Description = "How long the new key is published before it signs (default: Keys:SigningKeyAnnouncement, one day).",
        };
        var rotate = new Command("rotate", "Add a new signing key: published now, signing after the announcement period.") { announce };
        rotate.SetAction((parse, cancellationToken) => WithServicesAsync(async services =>
        {
            var period = parse.GetValue(announce) ?? services.GetRequiredService<IOptions<KeyOptions>>().Value.SigningKeyAnnouncement;
            if (period < TimeSpan.Zero)
            {
                Console.Error.WriteLine("--announce cannot be negative.");
                return 2;
            }

            var key = await services.GetRequiredService<ProtocolKeyStore>().RotateSigningKeyAsync(period, cancellationToken);
            Console.WriteLine($"New signing key {key.KeyId} (generation {key.Generation}) is published now and signs from {key.ActivatesAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC.");
            return 0;
        }));

        keys.Subcommands.Add(list);
        keys.Subcommands.Add(rotate);
        return keys;
    }

    private static Command Members()
    {
        var members = new Command("members", "The society's members.");

        var file = new Argument<FileInfo>("file") { Description = "The roster CSV: a header line, then user_id,symbol,number,birthdate,name,joined_on[,email] (or the Japanese column names)." };
        var applyValid = new Option<bool>("--apply-valid")
        {
            Description = "Load the valid lines even when others are rejected (exit code 3). Without it, one rejected line means nothing is loaded.",
        };
        var dryRun = new Option<bool>("--dry-run") { Description = "Check the file and count what would change; write nothing." };
        var encoding = new Option<string?>("--encoding")
        {
            Description = "The file's encoding, when detection (byte-order mark, else UTF-8, else Shift_JIS) gets it wrong.",
        };
        encoding.AcceptOnlyFromAmong(RosterFile.Utf8, RosterFile.ShiftJis);
        var notices = new Option<FileInfo?>("--notices")
        {
            Description = "Where to write the credentials notice (new members' random passwords); default credentials-notice-<yyyyMMdd-HHmmss>.csv here. Never overwritten.",
        };
        var import = new Command("import", "Load or update members from the roster CSV. Chosen passwords, addresses and MFA are never touched.")
        {
            file, applyValid, dryRun, encoding, notices,
        };
        import.SetAction((parse, cancellationToken) => WithServicesAsync(async services =>
        {
            var request = new RosterImportRequest(parse.GetValue(file)!.FullName)
            {
                ApplyValid = parse.GetValue(applyValid),
                DryRun = parse.GetValue(dryRun),
                Encoding = parse.GetValue(encoding),
                NoticesPath = parse.GetValue(notices)?.FullName,
            };
            var result = await services.GetRequiredService<RosterImporter>().ImportAsync(
                request, Console.Out, Console.Error, showProgress: !Console.IsOutputRedirected, cancellationToken);
            return result.ExitCode;
        },
        // One log line per member would bury the progress bar and flood the log collector; the
        // members' audit events are stored in the database, and the import logs a summary line.
        hostArgs: [$"--Serilog:MinimumLevel:Override:{typeof(AuditLog).FullName}=Warning"]));

        members.Subcommands.Add(import);
        return members;
    }

    private static async Task<int> WithServicesAsync(Func<IServiceProvider, Task<int>> action, string[]? hostArgs = null)
    {
        try
        {
            await using var app = KosmoHost.CreateBuilder(hostArgs ?? []).Build();
            await using var scope = app.Services.CreateAsyncScope();
            return await action(scope.ServiceProvider);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Console.Error.WriteLine($"Failed: {e.Message}");
            return 1;
        }
    }
}
