using Kosmo.Idp.Members;
using Kosmo.Idp.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Kosmo.Idp.Journey;

/// <summary>
/// A change to how the member gets a code (apps, codes by mail, recovery codes, an operator's reset)
/// that depends on what it reads: under the lock a code's check holds (<see cref="AttemptThrottle.SecondFactorKey"/>),
/// then the member's row, always in that order. A code's check updates its device or recovery code
/// and then the member; a change taking the row first could each wait for the other (PostgreSQL
/// would abort one of them as a deadlock), and one taking only the row would read what a check is
/// about to change.
/// </summary>
public static class SecondFactorChange
{
    public static async Task<IDbContextTransaction> BeginAsync(KosmoDbContext db, Member member, CancellationToken cancellationToken)
    {
        var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await OneAtATime.HoldAsync(db, AttemptThrottle.SecondFactorKey(member.Id), cancellationToken);
        await MemberRowLock.ForChangeAsync(db, member.Id, cancellationToken);
        await db.Entry(member).ReloadAsync(cancellationToken);
        return transaction;
    }
}
