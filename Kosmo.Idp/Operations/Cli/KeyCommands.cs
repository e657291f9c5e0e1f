using System.CommandLine;
using Kosmo.Idp.Operations.MemberCommands;
using Kosmo.Idp.Protocol;
using Kosmo.Idp.Protocol.Keys;
using Microsoft.Extensions.Options;
using static Kosmo.Idp.Operations.Cli.KosmoCommandLine;

namespace Kosmo.Idp.Operations.Cli;

/// <summary>`keys list|rotate|withdraw`: the token signing and encryption keys (see <see cref="ProtocolKeyStore"/>).</summary>
internal static class KeyCommands
{
    public static Command Create()
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
                        : key.ActivatesAt > now ? "announced"
                        : $"{kept} until {KeySchedule.KeptUntil(ofPurpose, key, now, retention)!.Value.UtcDateTime:yyyy-MM-dd HH:mm}";
                    // A withdrawn key's replacement takes its activation time (SigningKeyWithdrawal), but it
                    // signed nothing before it existed: an incident's timeline reads this column.
                    var from = key.ActivatesAt > key.CreatedAt ? key.ActivatesAt : key.CreatedAt;
                    Console.WriteLine($"{name,-11} {key.Generation,-10} {key.KeyId,-18} {from.UtcDateTime,-20:yyyy-MM-dd HH:mm} {state}");
                }
            }

            return 0;
        }));

        var announce = new Option<TimeSpan?>("--announce")
        {
            Description = "How long the new key is published before it signs (default: Keys:SigningKeyAnnouncement, one day).",
            CustomParser = result =>
            {
                // A bare number reads as days ("12" is twelve days), which an operator meaning hours would not notice.
                // Nought is nought in any unit: published and signing at once.
                var text = result.Tokens[^1].Value;
                if (text == "0")
                {
                    return TimeSpan.Zero;
                }

                if (text.Contains(':') && TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var period))
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
        var reason = ReasonOption();
        var rotate = new Command("rotate", "Add a new signing key: published by the running replicas within Keys:RefreshInterval, signing after the announcement period.") { announce, encryption, reason };
        rotate.SetAction((parse, cancellationToken) => WithServicesAsync(async services =>
        {
            var refreshInterval = services.GetRequiredService<IOptions<KeyOptions>>().Value.RefreshInterval;
            if (parse.GetValue(encryption))
            {
                if (parse.GetResult(announce) is not null)
                {
                    Console.Error.WriteLine("--announce is for signing keys, which relying apps must see before they sign: only the provider reads what an encryption key encrypts, so a new one needs no announcement; it encrypts once every replica has read it (two Keys:RefreshInterval).");
                    return 2;
                }

                var encrypting = await services.GetRequiredService<ProtocolKeyStore>().RotateEncryptionKeyAsync(refreshInterval, cancellationToken, OperatorNote.ForCurrentUser(parse.GetValue(reason)));
                Console.WriteLine($"New encryption key {encrypting.KeyId} (generation {encrypting.Generation}) is read by the running replicas within {refreshInterval} and encrypts from {encrypting.ActivatesAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC; the previous key still reads its tokens until they expire.");
                return 0;
            }

            var period = parse.GetValue(announce) ?? services.GetRequiredService<IOptions<KeyOptions>>().Value.SigningKeyAnnouncement;
            if (period < TimeSpan.Zero || period > TimeSpan.FromDays(30))
            {
                Console.Error.WriteLine("--announce must be between 0 and 30 days (for example 1.00:00:00, one day).");
                return 2;
            }

            var key = await services.GetRequiredService<ProtocolKeyStore>().RotateSigningKeyAsync(period, cancellationToken, OperatorNote.ForCurrentUser(parse.GetValue(reason)));
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
}
