using System.CommandLine;
using System.CommandLine.Parsing;
using Microsoft.EntityFrameworkCore;
using Kosmo.Idp.Operations.MemberCommands;
using Kosmo.Idp.Operations.Roster;
using Kosmo.Idp.Operations.Health;
using Kosmo.Idp.Persistence;
using Kosmo.Idp.Protocol.Keys;

namespace Kosmo.Idp.Operations.Cli;

/// <summary>
/// Operator commands, run with the same binary and configuration as the service
/// (`Kosmo.Idp migrate`, `Kosmo.Idp keys rotate`). Exit code 0 on success, 1 on failure, 2 on bad usage;
/// `members import` adds 3, see <see cref="RosterImportExit"/>.
/// </summary>
public static class KosmoCommandLine
{
    /// <summary>
    /// Options start with a dash (the host's own --urls, --environment); a first word is a command,
    /// and so is a request for help or the version, which must never start the service instead.
    /// </summary>
    public static bool IsCommand(string[] args) =>
        args.Length > 0 && (!args[0].StartsWith('-') || args[0] is "--help" or "-h" or "-?" or "/?" or "--version");

    /// <summary>
    /// A command after an option (`--urls … migrate`) would otherwise start the service, and a
    /// migration Job would serve until its deadline instead of migrating: said, and refused.
    /// </summary>
    public static string? MisplacedCommand(string[] args)
    {
        // The service's usual start has no arguments: nothing to build the commands for.
        if (args.Length == 0)
        {
            return null;
        }

        var names = Root().Subcommands.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        return args.FirstOrDefault(names.Contains);
    }

    /// <summary>
    /// An option that belongs to a command (`--dry-run`, `--yes`) or a single-dash one, given without
    /// its command: the host would ignore it and start a second service in the operator's pod.
    /// Read as the host reads its arguments: `--key value`, `--key=value`, `/key value`.
    /// </summary>
    public static string? StrayOption(string[] args)
    {
        if (args.Length == 0)
        {
            return null;
        }

        var commandOptions = AllOptions(Root()).Where(o => o is not (System.CommandLine.Help.HelpOption or VersionOption))
            .SelectMany(o => o.Aliases.Append(o.Name)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Length; i++)
        {
            var token = args[i];
            if (token.StartsWith("--", StringComparison.Ordinal) || token.StartsWith('/'))
            {
                var name = "--" + token.TrimStart('-', '/').Split('=', 2)[0];
                if (commandOptions.Contains(name))
                {
                    return token;
                }

                if (!token.Contains('='))
                {
                    i++; // its value, whatever it looks like
                }
            }
            else if (token.StartsWith('-'))
            {
                return token;
            }
        }

        return null;
    }

    /// <summary>
    /// An option given without its value takes the next word as its value, even another option:
    /// `members import roster.csv --notices --dry-run` would import for real into a file named
    /// "--dry-run". A value that starts with two dashes and stands as a word of its own is taken as
    /// the option it looks like (`--reason=--x` still says it is meant).
    /// </summary>
    internal static string? OptionTakenAsAValue(ParseResult parsed, string[] args)
    {
        // The command given and those it sits under: an option may belong to any of them.
        for (var result = parsed.CommandResult; result is not null; result = result.Parent as CommandResult)
        {
            foreach (var option in result.Children.OfType<OptionResult>())
            {
                var taken = option.Tokens.FirstOrDefault(t => t.Value.StartsWith("--", StringComparison.Ordinal) && args.Contains(t.Value, StringComparer.Ordinal));
                if (taken is null)
                {
                    continue;
                }

                // Right after the option's name: its value is missing. After a value of a repeatable option
                // (`--redirect-uri https://… --bogus`): a mistyped option, taken as one more value.
                var at = Array.IndexOf(args, taken.Value);
                var named = at > 0 && (args[at - 1] == option.Option.Name || option.Option.Aliases.Contains(args[at - 1]));
                return named
                    ? $"{option.Option.Name} needs a value: '{taken.Value}' stands where it should be (give {option.Option.Name} its value, or leave it out)."
                    : $"Unrecognized command or argument '{taken.Value}'.";
            }
        }

        return null;
    }

    private static IEnumerable<Option> AllOptions(Command command) =>
        command.Options.Concat(command.Subcommands.SelectMany(AllOptions));

    private static RootCommand Root()
    {
        var root = new RootCommand("Kosmo.Idp: the society's OpenID Connect provider. Without a command it runs the service.");
        root.Subcommands.Add(Migrate());
        root.Subcommands.Add(KeyCommands.Create());
        root.Subcommands.Add(MemberCommandLine.Create());
        root.Subcommands.Add(AuditCommand.Create());
        root.Subcommands.Add(Health());
        root.Subcommands.Add(ClientCommands.Create());
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        // The version answers alone; System.CommandLine would pass over a word after it.
        if (args is ["--version", var extra, ..])
        {
            Console.Error.WriteLine($"Unrecognized command or argument '{extra}'.");
            return 2;
        }

        var parsed = Root().Parse(args);
        // System.CommandLine answers a parse error with 1; operators' scripts tell bad usage (2) from failure (1).
        if (parsed.Errors.Count > 0 && !args.Contains("--help") && !args.Contains("-h"))
        {
            // A mistyped command also lacks the command it meant: "not provided" would only confuse.
            var unmatched = parsed.UnmatchedTokens;
            foreach (var error in parsed.Errors.Where(e => unmatched.Count == 0
                || e.SymbolResult is not System.CommandLine.Parsing.CommandResult { Command.Subcommands.Count: > 0 }
                || unmatched.Any(token => e.Message.Contains($"'{token}'", StringComparison.Ordinal))))
            {
                Console.Error.WriteLine(error.Message);
            }

            Console.Error.WriteLine("Run with --help for usage.");
            return 2;
        }

        if (OptionTakenAsAValue(parsed, args) is { } misread)
        {
            Console.Error.WriteLine(misread);
            Console.Error.WriteLine("Run with --help for usage.");
            return 2;
        }

        // Ctrl+C or a pod's SIGTERM cancels the command, which then undoes what it started (an import
        // deletes its credentials notice); the default 2 s before the process exits regardless is too short for that.
        return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(10) });
    }

    private static Command Migrate()
    {
        var command = new Command("migrate", "Apply pending database migrations and create the protocol keys, then exit.");
        command.SetAction((_, cancellationToken) => WithServicesAsync(createsTheDatabase: true, action: async services =>
        {
            // A command builds the service without starting it, so the checks of its settings sections
            // would not run; but this is the Job that gates a rollout: sections the new pods would
            // refuse fail it here, with nothing migrated, rather than in their crash loop after it passed.
            // (The metrics port and demo app checks belong to the running service and stay there.)
            try
            {
                services.GetService<Microsoft.Extensions.Options.IStartupValidator>()?.Validate();
            }
            catch (Exception refused) when (Logging.StartupFailure.IsRefusedSetting(refused))
            {
                Console.Error.WriteLine($"Failed: the service would refuse these settings, so nothing was migrated: {Logging.StartupFailure.Explain(refused)}");
                return 1;
            }

            var migrator = services.GetRequiredService<DatabaseMigrator>();
            await migrator.OneAtATimeAsync(async () =>
            {
                await migrator.MigrateAsync(cancellationToken);
                await services.GetRequiredService<ProtocolKeyStore>().EnsureCreatedAsync(cancellationToken);
            }, cancellationToken);
            Console.WriteLine("Database is current.");
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// For a container HEALTHCHECK: one request to a running service. It builds no host, so it needs
    /// neither the database nor valid settings, and costs only the process start.
    /// </summary>
    private static Command Health()
    {
        var url = new Option<string>("--url")
        {
            Description = $"The endpoint to ask (default {HealthProbe.DefaultUrl}).",
            DefaultValueFactory = _ => HealthProbe.DefaultUrl,
        };
        var command = new Command(
            "health",
            $"Exit 0 when the running service's health endpoint answers 200 within {HealthProbe.DefaultTimeout.TotalSeconds:0} s, 1 otherwise. Reads no settings.")
        {
            url,
        };
        command.SetAction((parse, cancellationToken) =>
            HealthProbe.RunAsync(parse.GetValue(url)!, Console.Out, Console.Error, cancellationToken: cancellationToken));
        return command;
    }

    /// <summary>`--reason`, for every command that changes a member or a key: kept in the audit event.</summary>
    internal static Option<string?> ReasonOption()
    {
        var reason = new Option<string?>("--reason")
        {
            Description = $"Why (a ticket number, \"member called\"), at most {OperatorNote.MaximumReasonLength} characters; stored in the audit event with your OS user name (or the name in KOSMO_OPERATOR).",
        };
        reason.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } text && (text.Length > OperatorNote.MaximumReasonLength || text.Any(char.IsControl)))
            {
                result.AddError($"--reason must be one line of at most {OperatorNote.MaximumReasonLength} characters.");
            }
        });
        return reason;
    }

    internal static async Task<int> WithServicesAsync(Func<IServiceProvider, Task<int>> action, string[]? hostArgs = null, bool createsTheDatabase = false)
    {
        // System.CommandLine takes Ctrl+C and SIGTERM only once the action hands back a task. On the
        // SQLite file every "async" database call completes at once, so an import ran to its notice
        // before that, and a Ctrl+C then killed it outright, leaving passwords that belong to nobody.
        await Task.Yield();
        try
        {
            var builder = KosmoHost.CreateBuilder(hostArgs ?? []);
            builder.Services.AddSingleton<Logging.LoggingRegistration.OperatorCommand>();
            await using var app = builder.Build();
            await using var scope = app.Services.CreateAsyncScope();
            if (!createsTheDatabase && MissingSqliteFile(scope.ServiceProvider) is { } missing)
            {
                Console.Error.WriteLine($"Failed: there is no database at {missing}. Run the command from the folder the service runs in (the SQLite path is relative to it), or set ConnectionStrings__Kosmo.");
                return 1;
            }

            // Before `migrate` too: the Job that gates a rollout fails, with nothing migrated, rather than the new pods.
            await EnsureTheCertificateReadsTheRingAsync(scope.ServiceProvider, CancellationToken.None);

            return await action(scope.ServiceProvider);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Console.Error.WriteLine($"Failed: {Describe(e)}");
            return 1;
        }
    }

    /// <summary>
    /// SQLite creates a missing file on first use: a command run from the wrong folder would leave an
    /// empty database there and then send the operator to `migrate` it, away from the service's own.
    /// </summary>
    private static string? MissingSqliteFile(IServiceProvider services)
    {
        var database = services.GetRequiredService<KosmoDbContext>().Database;
        if (!database.IsSqlite())
        {
            return null;
        }

        var file = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(database.GetConnectionString()).DataSource;
        return File.Exists(file) ? null : file;
    }

    /// <summary>
    /// A command given another Data Protection certificate than the replicas' stops as a replica
    /// would, naming both, before it reads a secret it cannot decrypt or writes one they cannot.
    /// </summary>
    private static async Task EnsureTheCertificateReadsTheRingAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        try
        {
            if (await services.GetRequiredService<KeyRingCertificate>().EnsureItReadsTheRingAsync(services.GetRequiredService<KosmoDbContext>(), cancellationToken) is { } unencrypted)
            {
                Console.Error.WriteLine($"Warning: {unencrypted}");
            }
        }
        catch (Exception failure) when (DatabaseUnavailable.SchemaMissing(failure))
        {
            // No ring yet to disagree with: the command checks its arguments and says "run migrate" when it needs the database.
        }
    }

    /// <summary>One line an operator can act on: a database that cannot be reached says so, with the driver's reason.</summary>
    private static string Describe(Exception failure) =>
        DatabaseUnavailable.SchemaMissing(failure)
            ? $"the database is not migrated to this version ({FirstLine(failure.GetBaseException().Message)}). Run `migrate` first, or check that ConnectionStrings__Kosmo names the right database."
        : DatabaseUnavailable.DuplicateKey(failure)
            ? $"another command or replica wrote the same record at the same moment ({FirstLine(failure.GetBaseException().Message)}); run the command again."
        : DatabaseUnavailable.Caused(failure)
            ? $"the database could not be reached or refused the command ({FirstLine(failure.GetBaseException().Message)}). Check ConnectionStrings__Kosmo and that PostgreSQL is up."
        : Logging.StartupFailure.IsRefusedSetting(failure)
            ? $"the service would refuse these settings, so nothing was done: {Logging.StartupFailure.Explain(failure)}"
            : failure.Message;

    // PostgreSQL's messages go on with the statement's position and detail on further lines.
    // Its full stop too: the line goes inside parentheses that end a sentence of their own.
    private static string FirstLine(string message) => message.Split('\n', 2)[0].TrimEnd().TrimEnd('.');
}
