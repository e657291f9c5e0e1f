using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Operations.MemberCommands;
using Kosmo.Idp.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Kosmo.Idp.Protocol.Keys;

/// <summary>
/// Takes a signing key out of use at once, for a key that may have leaked: a rotation would keep
/// it in the JWKS, trusted, until the tokens it signed expire. The key is deleted, so no replica
/// publishes it or accepts a token it signed once they reload their keys; when it was the key
/// signing now, a new one takes its place.
/// </summary>
/// <remarks>
/// How long an older key stays trusted is worked out from the keys after it (KeySchedule): with
/// the withdrawn key gone, a retired one could count as freshly superseded and be published and
/// trusted again, and it may have leaked with it (the same backup). So the retired keys go too, and
/// the replacement takes the withdrawn key's activation time, not now: the keys before it keep
/// their dates, and a replica whose clock is a little behind does not fall back to an older key.
/// </remarks>
public sealed class SigningKeyWithdrawal(KosmoDbContext db, KeyMaterial material, TimeProvider time, AuditLog audit)
{
    public async Task<WithdrawnKey?> WithdrawAsync(string keyId, TimeSpan retention, OperatorNote note, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var signing = await db.ProtocolKeys.Where(k => k.Purpose == ProtocolKeyPurpose.Signing).ToListAsync(cancellationToken);
        if (signing.SingleOrDefault(k => k.KeyId == keyId) is not { } withdrawn)
        {
            return null;
        }

        var now = time.GetUtcNow();
        var inUse = KeySchedule.InUse(signing, now, retention);
        ProtocolKey? replacement = null;
        List<ProtocolKey> cancelled = [];
        if (inUse.FirstOrDefault() == withdrawn)
        {
            // A rotation announced after the withdrawn key would never sign (the replacement is
            // newer), and it may sit in the same leaked copy: cancelled, said, to be done again.
            cancelled = signing.Where(k => k.Generation > withdrawn.Generation && k.ActivatesAt > now).ToList();
            db.ProtocolKeys.RemoveRange(cancelled);
            replacement = material.Create(ProtocolKeyPurpose.Signing, signing.Max(k => k.Generation) + 1, now, withdrawn.ActivatesAt);
            db.ProtocolKeys.Add(replacement);
        }

        db.ProtocolKeys.Remove(withdrawn);
        db.ProtocolKeys.RemoveRange(signing.Where(k => k != withdrawn && !inUse.Contains(k)));
        audit.Record(AuditKinds.SigningKeyWithdrawn, null,
            $"signing key {withdrawn.KeyId} (generation {withdrawn.Generation}) withdrawn"
            + (replacement is null ? "" : $"; {replacement.KeyId} (generation {replacement.Generation}) signs from now")
            + (cancelled.Count == 0 ? "" : $"; announced {string.Join(", ", cancelled.Select(k => k.KeyId))} cancelled") + $"; {note}");
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new WithdrawnKey(withdrawn, replacement, cancelled);
    }
}

public sealed record WithdrawnKey(ProtocolKey Withdrawn, ProtocolKey? Replacement, IReadOnlyList<ProtocolKey> Cancelled);
