using System.CommandLine;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Operations.MemberCommands;
using Kosmo.Idp.Operations.Roster;
using Kosmo.Idp.Shared;
using static Kosmo.Idp.Operations.Cli.KosmoCommandLine;

namespace Kosmo.Idp.Operations.Cli;

/// <summary>`members import|show|lock|unlock|reset-mfa|reset-password|sign-out|sign-out-everyone`: the roster and helping members (see <see cref="MemberAdministration"/>).</summary>
internal static class MemberCommandLine
{
    public static Command Create()
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
            Description = "The file's encoding (utf-8 or shift_jis, any case), when detection (byte-order mark, else UTF-8, else Shift_JIS) gets it wrong or cannot tell.",
        };
        // Any case: the messages and the docs write Shift_JIS, as the encoding is usually spelled.
        encoding.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } name
                && !new[] { RosterFile.Utf8, RosterFile.ShiftJis }.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                result.AddError($"--encoding must be {RosterFile.Utf8} or {RosterFile.ShiftJis}, not {name}.");
            }
        });
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
        members.Subcommands.Add(ChangeMember("lock",
            "Lock the account until `members unlock` (a member who left the society, an account someone else may be using): end every session, revoke every token, and mail the member. Nothing else changes.",
            (administration, userId, note, cancellationToken) => administration.LockAsync(userId, note, cancellationToken)));
        members.Subcommands.Add(ChangeMember("unlock",
            "Remove the account lock (wrong birthdates, or `members lock`), the temporary sign-in lockout, the pause after wrong app or recovery codes, and the hold on codes by mail after too many wrong codes or mails; then mail the member. A member who is not locked is left as is.",
            (administration, userId, note, cancellationToken) => administration.UnlockAsync(userId, note, cancellationToken)));
        var forgetEmail = new Option<bool>("--forget-email")
        {
            Description = "Also forget the member's verified address (a mailbox the member lost, or one that no longer receives): the member confirms a new one at the next login. No mail is sent then: tell the member.",
        };
        members.Subcommands.Add(ChangeMember("reset-mfa",
            "Remove the member's authenticator apps, recovery codes and OTP method, end every session and revoke every token, and mail the member. The member sets up a method again at the next login.",
            (administration, userId, note, parse, cancellationToken) => administration.ResetMfaAsync(userId, note, parse.GetValue(forgetEmail), cancellationToken),
            forgetEmail));
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
                Console.WriteLine(Shared.PlainText.Printable(result.Summary));
                foreach (var line in result.Changes)
                {
                    Console.WriteLine("  " + Shared.PlainText.Printable(line));
                }

                return result.ExitCode;
            });
        });
        return command;
    }

    private static Argument<string> UserIdArgument()
    {
        var userId = new Argument<string>("user-id") { Description = "The member's user ID (case does not matter)." };
        // A blank ID is a slip in a script (an empty variable), which is bad usage, not a member not found.
        userId.Validators.Add(result =>
        {
            if (string.IsNullOrWhiteSpace(result.GetValueOrDefault<string>()))
            {
                result.AddError("The user ID is empty.");
            }
        });
        return userId;
    }

    private static Command ShowMember()
    {
        var userId = UserIdArgument();
        var show = new Command("show", "Print a member's state: roster data, password kind, locks, journey progress, MFA. No secrets.") { userId };
        show.SetAction((parse, cancellationToken) => WithServicesAsync(async services =>
        {
            var lines = await services.GetRequiredService<MemberReport>().DescribeAsync(parse.GetValue(userId)!, cancellationToken);
            if (lines is null)
            {
                Console.Error.WriteLine($"No member with user ID '{PlainText.Printable(parse.GetValue(userId))}'.");
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
        string name, string description, Func<MemberAdministration, string, OperatorNote, CancellationToken, Task<MemberChangeResult>> change) =>
        ChangeMember(name, description, (administration, userId, note, _, cancellationToken) => change(administration, userId, note, cancellationToken));

    /// <param name="options">The command's own options, read by <paramref name="change"/> from the parse result.</param>
    private static Command ChangeMember(
        string name, string description, Func<MemberAdministration, string, OperatorNote, ParseResult, CancellationToken, Task<MemberChangeResult>> change,
        params Option[] options)
    {
        var userId = UserIdArgument();
        var reason = ReasonOption();
        var command = new Command(name, description) { userId, reason };
        foreach (var option in options)
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, cancellationToken) => WithServicesAsync(async services =>
        {
            var result = await change(
                services.GetRequiredService<MemberAdministration>(), parse.GetValue(userId)!, OperatorNote.ForCurrentUser(parse.GetValue(reason)), parse, cancellationToken);
            // The summary names the user ID as typed (or as the roster had it): printed, never run by the terminal.
            (result.ExitCode == 0 ? Console.Out : Console.Error).WriteLine(Shared.PlainText.Printable(result.Summary));
            foreach (var line in result.Changes)
            {
                Console.WriteLine("  " + Shared.PlainText.Printable(line));
            }

            if (result.MailWarning is { } warning)
            {
                Console.Error.WriteLine(warning);
            }

            return result.ExitCode;
        }));
        return command;
    }
}
