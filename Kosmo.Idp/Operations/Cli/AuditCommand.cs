using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Operations.MemberCommands;
using static Kosmo.Idp.Operations.Cli.KosmoCommandLine;

namespace Kosmo.Idp.Operations.Cli;

/// <summary>`audit`: the stored audit events, by member, kind and time window (see <see cref="AuditQuery"/>).</summary>
internal static class AuditCommand
{
    public static Command Create()
    {
        var member = new Option<string?>("--member") { Description = "Only this member's events (user ID)." };
        // As for the member commands' argument: an empty variable in a script is bad usage, not an unknown member.
        member.Validators.Add(result =>
        {
            if (string.IsNullOrWhiteSpace(result.GetValueOrDefault<string?>()))
            {
                result.AddError("--member: the user ID is empty.");
            }
        });
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
                result.AddError($"--limit must be a whole number between 1 and 10000, not '{result.Tokens[^1].Value}'.");
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
}
