using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Operations.MemberCommands;
using Kosmo.Idp.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Kosmo.Idp.Protocol.Keys;

/// <summary>
/// Takes a signing key out of use at once, for a key that may have leaked: a rotation would keep
/// it in the JWKS, trusted, until the tokens it signed expire. The key is deleted, so no replica
/// publishes it or accepts a token it signed once they reload their keys; when it was the key
/// signing now, a new one signs from this moment instead (an older key must not take over again).
/// </summary>
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
        ProtocolKey? replacement = null;
        if (KeySchedule.InUse(signing, now, retention).FirstOrDefault() == withdrawn)
        {
            replacement = material.Create(ProtocolKeyPurpose.Signing, signing.Max(k => k.Generation) + 1, now, now);
            db.ProtocolKeys.Add(replacement);
        }

        db.ProtocolKeys.Remove(withdrawn);
        audit.Record(AuditKinds.SigningKeyWithdrawn, null,
            $"signing key {withdrawn.KeyId} (generation {withdrawn.Generation}) withdrawn"
            + (replacement is null ? "" : $"; {replacement.KeyId} (generation {replacement.Generation}) signs from now") + $"; {note}");
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new WithdrawnKey(withdrawn, replacement);
    }
}

public sealed record WithdrawnKey(ProtocolKey Withdrawn, ProtocolKey? Replacement);
