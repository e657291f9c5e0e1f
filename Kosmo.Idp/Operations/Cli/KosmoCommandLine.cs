using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Kosmo.Idp.Operations.MemberCommands;
using Kosmo.Idp.Operations.Roster;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Operations.Health;
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
    /// <summary>
    /// Options start with a dash (the host's own --urls, --environment); a first word is a command,
    /// and so is a request for help or the version, which must never start the service instead.
    /// </summary>
    public static bool IsCommand(string[] args) =>
        args.Length > 0 && (!args[0].StartsWith('-') || args[0] is "--help" or "-h" or "-?" or "/?" or "--version");

    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("Kosmo.Idp: the society's OpenID Connect provider. Without a command it runs the service.");
        root.Subcommands.Add(Migrate());
        root.Subcommands.Add(Keys());
        root.Subcommands.Add(Members());
        root.Subcommands.Add(Audit());
        root.Subcommands.Add(Health());
        root.Subcommands.Add(ClientCommands.Create());
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

    private static Command Keys()
    {
        var keys = new Command("keys", "Token signing and encryption keys.");

        var list = new Command("list", "List the signing and encryption keys with their state.");
        list.SetAction((_, cancellationToken) => WithServicesAsync(async services =>
        {
            var all = await services.GetRequiredService<ProtocolKeyStore>().ListAsync(cancellationToken);
            var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
            var retention = services.GetRequiredService<IOptions<ProtocolOptions>>().Value.LongestTokenLifetime;
            Console.WriteLine($"{"purpose",-11} {"generation",-10} {"kid",-18} {"activates (UTC)",-20} state");
            foreach (var (purpose, name, current, kept) in new[]
            {
                (ProtocolKeyPurpose.Signing, "signing", "signing", "published"),
                (ProtocolKeyPurpose.Encryption, "encryption", "encrypting", "decrypting"),
            })
            {
                var ofPurpose = all.Where(k => k.Purpose == purpose).ToList();
                var inUse = KeySchedule.InUse(ofPurpose, now, retention);
                foreach (var key in ofPurpose.OrderBy(k => k.Generation))
                {
                    var state = inUse.Count > 0 && inUse[0] == key ? current
                        : !inUse.Contains(key) ? "retired"
                        : key.ActivatesAt > now ? "announced" : kept;
                    Console.WriteLine($"{name,-11} {key.Generation,-10} {key.KeyId,-18} {key.ActivatesAt.UtcDateTime,-20:yyyy-MM-dd HH:mm} {state}");
                }
            }

            return 0;
        }));

        var announce = new Option<TimeSpan?>("--announce")
        {
            Description = "How long the new key is published before it signs (default: Keys:SigningKeyAnnouncement, one day).",
            CustomParser = result =>
            {
                if (TimeSpan.TryParse(result.Tokens[^1].Value, System.Globalization.CultureInfo.InvariantCulture, out var period))
                {
                    return period;
                }

                result.AddError($"--announce '{result.Tokens[^1].Value}' is not a duration: write 1.00:00:00 for a day, 02:00:00 for two hours.");
                return null;
            },
        };
        var encryption = new Option<bool>("--encryption")
        {
            Description = "Rotate the encryption key instead (codes and refresh tokens): every replica reads it within Keys:RefreshInterval, it encrypts after two intervals, the previous one still reads its tokens until they expire.",
        };
        var rotate = new Command("rotate", "Add a new signing key: published by the running replicas within Keys:RefreshInterval, signing after the announcement period.") { announce, encryption };
        rotate.SetAction((parse, cancellationToken) => WithServicesAsync(async services =>
        {
            var refreshInterval = services.GetRequiredService<IOptions<KeyOptions>>().Value.RefreshInterval;
            if (parse.GetValue(encryption))
            {
                if (parse.GetResult(announce) is not null)
                {
                    Console.Error.WriteLine("--announce is for signing keys: only the provider reads what an encryption key encrypts, so it encrypts at once.");
                    return 2;
                }

                var encrypting = await services.GetRequiredService<ProtocolKeyStore>().RotateEncryptionKeyAsync(refreshInterval, cancellationToken);
                Console.WriteLine($"New encryption key {encrypting.KeyId} (generation {encrypting.Generation}) is read by the running replicas within {refreshInterval} and encrypts from {encrypting.ActivatesAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC; the previous key still reads its tokens until they expire.");
                return 0;
            }

            var period = parse.GetValue(announce) ?? services.GetRequiredService<IOptions<KeyOptions>>().Value.SigningKeyAnnouncement;
            if (period < TimeSpan.Zero || period > TimeSpan.FromDays(30))
            {
                Console.Error.WriteLine("--announce must be between 0 and 30 days (for example 1.00:00:00, one day).");
                return 2;
            }

            var key = await services.GetRequiredService<ProtocolKeyStore>().RotateSigningKeyAsync(period, cancellationToken);
            var refresh = services.GetRequiredService<IOptions<KeyOptions>>().Value.RefreshInterval;
            Console.WriteLine($"New signing key {key.KeyId} (generation {key.Generation}) is in the running replicas' JWKS within {refresh} and signs from {key.ActivatesAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC.");
            return 0;
        }));

        keys.Subcommands.Add(list);
        keys.Subcommands.Add(rotate);
        keys.Subcommands.Add(WithdrawKey());
        return keys;
    }

    private static Command WithdrawKey()
    {
        var keyId = new Argument<string>("kid") { Description = "The signing key's kid, as `keys list` shows it." };
        var reason = ReasonOption();
        var confirm = new Option<bool>("--yes") { Description = "Required: every token the key signed stops working, so members sign in again." };
        var command = new Command("withdraw",
            "Take a signing key that may have leaked out of use at once: no longer published or trusted; if it signs now, a new key signs from now on.")
        {
            keyId, reason, confirm,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            if (!parse.GetValue(confirm))
            {
                Console.Error.WriteLine("Every token this key signed stops working (members sign in again): add --yes to do it.");
                return Task.FromResult(2);
            }

            return WithServicesAsync(async services =>
            {
                var retention = services.GetRequiredService<IOptions<ProtocolOptions>>().Value.LongestTokenLifetime;
                var result = await services.GetRequiredService<SigningKeyWithdrawal>().WithdrawAsync(
                    parse.GetValue(keyId)!, retention, OperatorNote.ForCurrentUser(parse.GetValue(reason)), cancellationToken);
                if (result is null)
                {
                    Console.Error.WriteLine($"No signing key has the kid '{parse.GetValue(keyId)}'; `keys list` shows them.");
                    return 1;
                }

                var refresh = services.GetRequiredService<IOptions<KeyOptions>>().Value.RefreshInterval;
                Console.WriteLine($"Signing key {result.Withdrawn.KeyId} withdrawn."
                    + (result.Replacement is { } next ? $" New signing key {next.KeyId} signs from now." : ""));
                if (result.Cancelled.Count > 0)
                {
                    Console.WriteLine($"The announced key(s) {string.Join(", ", result.Cancelled.Select(k => k.KeyId))} were cancelled with it: run `keys rotate` again if a rotation was planned.");
                }

                Console.WriteLine($"The running replicas stop publishing and trusting it within {refresh}. Tell the APIs that validate our tokens to fetch the JWKS again now.");
                return 0;
            });
        });
        return command;
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
        members.Subcommands.Add(ShowMember());
        members.Subcommands.Add(ChangeMember("unlock",
            "Remove the account lock (wrong birthdates), the temporary sign-in lockout, the pause after wrong app or recovery codes, and the hold on codes by mail after too many wrong codes or mails; then mail the member. A member who is not locked is left as is.",
            (administration, userId, note, cancellationToken) => administration.UnlockAsync(userId, note, cancellationToken)));
        members.Subcommands.Add(ChangeMember("reset-mfa",
            "Remove the member's authenticator apps, recovery codes and OTP method, end every session and revoke every token, and mail the member. The member sets up a method again at the next login.",
            (administration, userId, note, cancellationToken) => administration.ResetMfaAsync(userId, note, cancellationToken)));
        members.Subcommands.Add(ChangeMember("reset-password",
            "Put the password back to the initial rule 記号+番号+生年月日 (to be changed at login), end every session and revoke every token, and mail the member.",
            (administration, userId, note, cancellationToken) => administration.ResetPasswordAsync(userId, note, cancellationToken)));
        members.Subcommands.Add(ChangeMember("sign-out",
            "End every session of the member and revoke every token their apps hold, and mail the member. Password and methods stay as they are.",
            (administration, userId, note, cancellationToken) => administration.SignOutAsync(userId, note, cancellationToken)));
        members.Subcommands.Add(SignOutEveryone());
        return members;
    }

    private static Command SignOutEveryone()
    {
        var reason = ReasonOption();
        var confirm = new Option<bool>("--yes") { Description = "Required: every member of the society is signed out on every device." };
        var command = new Command("sign-out-everyone",
            "End every member's sessions and revoke every token relying apps hold (after restoring an older backup, or a leak). No mails.")
        {
            reason, confirm,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            if (!parse.GetValue(confirm))
            {
                Console.Error.WriteLine("This signs out every member on every device: add --yes to do it.");
                return Task.FromResult(2);
            }

            return WithServicesAsync(async services =>
            {
                var result = await services.GetRequiredService<MemberAdministration>().SignOutEveryoneAsync(
                    OperatorNote.ForCurrentUser(parse.GetValue(reason)), cancellationToken);
                Console.WriteLine(result.Summary);
                foreach (var line in result.Changes)
                {
                    Console.WriteLine("  " + line);
                }

                return result.ExitCode;
            });
        });
        return command;
    }

    private static Argument<string> UserIdArgument() => new("user-id") { Description = "The member's user ID (case does not matter)." };

    private static Command ShowMember()
    {
        var userId = UserIdArgument();
        var show = new Command("show", "Print a member's state: roster data, password kind, locks, journey progress, MFA. No secrets.") { userId };
        show.SetAction((parse, cancellationToken) => WithServicesAsync(async services =>
        {
            var lines = await services.GetRequiredService<MemberReport>().DescribeAsync(parse.GetValue(userId)!, cancellationToken);
            if (lines is null)
            {
                Console.Error.WriteLine($"No member with user ID '{parse.GetValue(userId)}'.");
                return 1;
            }

            var width = lines.Max(l => OperatorText.Cells(l.Label)) + 2;
            foreach (var line in lines)
            {
                // Values come from members and the roster: shown, never run by the terminal.
                Console.WriteLine(OperatorText.Pad(line.Label.Length == 0 ? "" : line.Label + ":", width) + Shared.PlainText.Printable(line.Value));
            }

            return 0;
        }));
        return show;
    }

    private static Command ChangeMember(
        string name, string description, Func<MemberAdministration, string, OperatorNote, CancellationToken, Task<MemberChangeResult>> change)
    {
        var userId = UserIdArgument();
        var reason = ReasonOption();
        var command = new Command(name, description) { userId, reason };
        command.SetAction((parse, cancellationToken) => WithServicesAsync(async services =>
        {
            var result = await change(
                services.GetRequiredService<MemberAdministration>(), parse.GetValue(userId)!, OperatorNote.ForCurrentUser(parse.GetValue(reason)), cancellationToken);
            (result.ExitCode == 0 ? Console.Out : Console.Error).WriteLine(result.Summary);
            foreach (var line in result.Changes)
            {
                Console.WriteLine("  " + line);
            }

            if (result.MailWarning is { } warning)
            {
                Console.Error.WriteLine(warning);
            }

            return result.ExitCode;
        }));
        return command;
    }

    private static Option<string?> ReasonOption()
    {
        var reason = new Option<string?>("--reason")
        {
            Description = $"Why (a ticket number, \"member called\"), at most {OperatorNote.MaximumReasonLength} characters; stored in the audit event with your OS user name.",
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

    private static Command Audit()
    {
        var member = new Option<string?>("--member") { Description = "Only this member's events (user ID)." };
        var since = new Option<DateTimeOffset?>("--since")
        {
            Description = "Events at or after this time: yyyy-MM-dd or yyyy-MM-ddTHH:mm[:ss], UTC unless an offset (+09:00) is given.",
            CustomParser = ParseTime,
        };
        var until = new Option<DateTimeOffset?>("--until")
        {
            Description = "Events before this time (exclusive), same format as --since.",
            CustomParser = ParseTime,
        };
        var kind = new Option<string?>("--kind") { Description = "Only events of this kind, e.g. account.unlocked, mfa.reset, sign-in.failed." };
        kind.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } text && !AuditQuery.KnownKinds.Contains(text))
            {
                result.AddError($"--kind '{text}' is not a kind of audit event. Kinds: {string.Join(", ", AuditQuery.KnownKinds)}.");
            }
        });
        var limit = new Option<int>("--limit") { Description = "At most this many events (1-10000).", DefaultValueFactory = _ => AuditFilter.DefaultLimit };
        limit.Validators.Add(result =>
        {
            // Read from the token: a value that is not a number (or does not fit an int) has no typed value to ask for.
            if (result.Tokens.Count > 0
                && !(int.TryParse(result.Tokens[^1].Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count)
                     && count is >= 1 and <= 10_000))
            {
                result.AddError("--limit must be between 1 and 10000.");
            }
        });
        var audit = new Command("audit", "List audit events, newest first: time (UTC), kind, user ID, detail, client address.")
        {
            member, since, until, kind, limit,
        };
        // An empty window is a typo, not a question: it would answer "no events" and exit 0.
        audit.Validators.Add(result =>
        {
            // Only when both are times: a value that is not one has its own error already.
            var from = result.GetResult(since) is { Tokens.Count: 1 } sinceResult ? TimeOf(sinceResult.Tokens[0].Value) : null;
            var to = result.GetResult(until) is { Tokens.Count: 1 } untilResult ? TimeOf(untilResult.Tokens[0].Value) : null;
            if (from >= to)
            {
                result.AddError("--since must be earlier than --until.");
            }
        });
        audit.SetAction((parse, cancellationToken) => WithServicesAsync(async services =>
        {
            var filter = new AuditFilter
            {
                MemberUserId = parse.GetValue(member),
                Since = parse.GetValue(since),
                Until = parse.GetValue(until),
                Kind = parse.GetValue(kind),
                Limit = parse.GetValue(limit),
            };
            IReadOnlyList<AuditEntry> entries;
            try
            {
                entries = await services.GetRequiredService<AuditQuery>().ListAsync(filter, cancellationToken);
            }
            catch (AuditQuery.UnknownMemberException e)
            {
                Console.Error.WriteLine(e.Message);
                return 1;
            }

            PrintTable(["time (UTC)", "kind", "user ID", "detail", "address"], entries.Select(e =>
                new[] { OperatorText.Time(e.OccurredAt), e.Kind, e.UserId ?? "-", e.Detail ?? "-", e.RemoteAddress ?? "-" }));
            Console.Error.WriteLine(entries.Count == filter.Limit ? $"{entries.Count} events shown; there may be more (--limit)." : $"{entries.Count} events.");
            return 0;
        }));
        return audit;
    }

    private static readonly string[] TimeFormats =
        ["yyyy-MM-dd", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mmK", "yyyy-MM-dd'T'HH:mm:ssK"];

    private static DateTimeOffset? TimeOf(string text) =>
        DateTimeOffset.TryParseExact(text, TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time : null;

    private static DateTimeOffset? ParseTime(ArgumentResult result)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (TimeOf(text) is { } time)
        {
            return time;
        }

        result.AddError($"'{text}' is not a date or time. Use yyyy-MM-dd or yyyy-MM-ddTHH:mm[:ss] (UTC), optionally with an offset such as +09:00.");
        return null;
    }

    private static void PrintTable(string[] header, IEnumerable<string[]> rows)
    {
        var all = rows.Prepend(header).ToList();
        var widths = header.Select((_, column) => all.Max(row => OperatorText.Cells(row[column]))).ToArray();
        foreach (var row in all)
        {
            // The last column is not padded, so lines carry no trailing spaces.
            Console.WriteLine(Shared.PlainText.Printable(string.Join("  ", row.Select((cell, column) => column == row.Length - 1 ? cell : OperatorText.Pad(cell, widths[column])))));
        }
    }

    internal static async Task<int> WithServicesAsync(Func<IServiceProvider, Task<int>> action, string[]? hostArgs = null)
    {
        try
        {
            var builder = KosmoHost.CreateBuilder(hostArgs ?? []);
            builder.Services.AddSingleton<Logging.LoggingRegistration.OperatorCommand>();
            await using var app = builder.Build();
            await using var scope = app.Services.CreateAsyncScope();
            return await action(scope.ServiceProvider);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Console.Error.WriteLine($"Failed: {Describe(e)}");
            return 1;
        }
    }

    /// <summary>One line an operator can act on: a database that cannot be reached says so, with the driver's reason.</summary>
    private static string Describe(Exception failure) =>
        DatabaseUnavailable.Caused(failure)
            ? $"the database could not be reached or refused the command ({failure.GetBaseException().Message}). Check ConnectionStrings__Kosmo and that PostgreSQL is up."
            : failure.Message;
}
