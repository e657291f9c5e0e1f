using System.CommandLine;
using Kosmo.Idp.Persistence;
using Kosmo.Idp.Protocol;
using Kosmo.Idp.Protocol.Keys;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Operations.Cli;

/// <summary>
/// Operator commands, run with the same binary and configuration as the service
/// (`Kosmo.Idp migrate`, `Kosmo.Idp keys rotate`). Exit code 0 on success, 1 on failure, 2 on bad usage.
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
        return await root.Parse(args).InvokeAsync();
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

    private static async Task<int> WithServicesAsync(Func<IServiceProvider, Task<int>> action)
    {
        try
        {
            await using var app = KosmoHost.CreateBuilder([]).Build();
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
