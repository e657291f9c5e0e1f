using Microsoft.Extensions.Options;
using OpenIddict.Server;

namespace Kosmo.Idp.Protocol.Keys;

/// <summary>Re-reads the keys now and then, so a rotation made by any process (the CLI, another replica) reaches this one.</summary>
public sealed class ProtocolKeyRefresher(
    IServiceScopeFactory scopes,
    ProtocolKeyRing ring,
    IOptions<KeyOptions> keyOptions,
    IOptions<ProtocolOptions> protocolOptions,
    IOptionsMonitor<OpenIddictServerOptions> openIddict,
    IOptionsMonitorCache<OpenIddictServerOptions> openIddictCache,
    Operations.Startup.PreparationState preparation,
    TimeProvider time,
    ILogger<ProtocolKeyRefresher> logger) : Operations.Startup.RecurringWork(preparation, time)
{
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var keys = await scope.ServiceProvider.GetRequiredService<ProtocolKeyStore>().ListAsync(cancellationToken);
        ring.Load(keys, Time.GetUtcNow(), protocolOptions.Value.LongestTokenLifetime);

        // OpenIddict's options are rebuilt when the ring changes; if a request was building them at
        // that very moment, the old keys could have been cached after the change. Each refresh
        // checks and drops such a stale copy, so it cannot outlive one refresh interval.
        // The whole set is compared, not just the key that signs: a rotation first only adds a key to
        // the JWKS, and a copy missing it would leave apps unable to verify the next tokens.
        // The encryption keys likewise: a copy without the newest could not read codes other replicas made.
        var current = openIddict.CurrentValue;
        if (Stale(current.SigningCredentials.Select(c => c.Key.KeyId), ring.Signing.Select(c => c.Key.KeyId))
            || Stale(current.EncryptionCredentials.Select(c => c.Key.KeyId), ring.Encryption.Select(c => c.Key.KeyId)))
        {
            logger.LogWarning("OpenIddict's options held stale signing or encryption keys; rebuilding them");
            openIddictCache.TryRemove(Options.DefaultName);
        }
    }

    // The first key is the one used; the set is every one accepted.
    private static bool Stale(IEnumerable<string> held, IEnumerable<string> loaded) =>
        held.FirstOrDefault() != loaded.FirstOrDefault() || !held.ToHashSet().SetEquals(loaded);

    protected override TimeSpan Interval => keyOptions.Value.RefreshInterval;

    protected override Task RunOnceAsync(CancellationToken cancellationToken) => RefreshAsync(cancellationToken);

    // The keys already loaded stay valid.
    protected override void LogFailure(Exception failure) => logger.LogWarning(failure, "Could not refresh the protocol keys");
}
