using Kosmo.Idp.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Kosmo.Idp.Protocol.Keys;

public sealed class ProtocolKeyStore(KosmoDbContext db, KeyMaterial material, TimeProvider time, ILogger<ProtocolKeyStore> logger, Operations.Audit.AuditLog? audit = null)
{
    /// <summary>Creates the first key of each purpose on a new database; a no-op afterwards.</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        foreach (var purpose in Enum.GetValues<ProtocolKeyPurpose>())
        {
            if (await db.ProtocolKeys.AnyAsync(k => k.Purpose == purpose, cancellationToken))
            {
                continue;
            }

            var now = time.GetUtcNow();
            await TryAddAsync(material.Create(purpose, 1, now, now), cancellationToken);
        }
    }

    /// <summary>
    /// Adds the next signing key; it is published at once and signs only after the announcement
    /// period, so relying apps that cache the JWKS know it before they see a token it signed.
    /// </summary>
    public async Task<ProtocolKey> RotateSigningKeyAsync(TimeSpan announcement, CancellationToken cancellationToken, Operations.MemberCommands.OperatorNote? note = null)
    {
        var key = await AddNextAsync(ProtocolKeyPurpose.Signing, announcement, note, cancellationToken);
        logger.LogInformation("Signing key {KeyId} (generation {Generation}) added; it signs from {ActivatesAt:o}",
            key.KeyId, key.Generation, key.ActivatesAt);
        return key;
    }

    /// <summary>
    /// Adds the next encryption key. Only this provider reads what it encrypts (codes, refresh
    /// tokens), so no app needs to learn it; but every replica must be able to decrypt with it
    /// before any replica encrypts with it (a code made on one is redeemed on another seconds
    /// later), so it starts encrypting after two key refreshes. The previous key still reads the
    /// tokens it encrypted until they expire.
    /// </summary>
    public async Task<ProtocolKey> RotateEncryptionKeyAsync(TimeSpan refreshInterval, CancellationToken cancellationToken, Operations.MemberCommands.OperatorNote? note = null)
    {
        var key = await AddNextAsync(ProtocolKeyPurpose.Encryption, 2 * refreshInterval, note, cancellationToken);
        logger.LogInformation("Encryption key {KeyId} (generation {Generation}) added; it encrypts from {ActivatesAt:o}", key.KeyId, key.Generation, key.ActivatesAt);
        return key;
    }

    // The next generation of a purpose, in use from now plus the given wait.
    private async Task<ProtocolKey> AddNextAsync(ProtocolKeyPurpose purpose, TimeSpan wait, Operations.MemberCommands.OperatorNote? note, CancellationToken cancellationToken)
    {
        var latest = await db.ProtocolKeys.Where(k => k.Purpose == purpose).MaxAsync(k => (int?)k.Generation, cancellationToken) ?? 0;
        var now = time.GetUtcNow();
        var key = material.Create(purpose, latest + 1, now, now + wait);
        db.ProtocolKeys.Add(key);
        // Saved with the key: who added a key, and when it takes over, is asked after an incident.
        audit?.Record(Operations.Audit.AuditKinds.KeyRotated, null,
            $"{purpose.ToString().ToLowerInvariant()} key {key.KeyId} (generation {key.Generation}) added, in use from {key.ActivatesAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z; {note ?? Operations.MemberCommands.OperatorNote.ForCurrentUser(null)}");
        await db.SaveChangesAsync(cancellationToken);
        return key;
    }

    public async Task<List<ProtocolKey>> ListAsync(CancellationToken cancellationToken) =>
        await db.ProtocolKeys.AsNoTracking().ToListAsync(cancellationToken);

    private async Task TryAddAsync(ProtocolKey key, CancellationToken cancellationToken)
    {
        db.ProtocolKeys.Add(key);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            logger.LogInformation("Created {Purpose} key {KeyId}", key.Purpose, key.KeyId);
        }
        catch (DbUpdateException)
        {
            // Another replica created it first; theirs is the one every replica will load.
            db.Entry(key).State = EntityState.Detached;
        }
    }
}
