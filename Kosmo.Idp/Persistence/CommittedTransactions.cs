using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Kosmo.Idp.Persistence;

/// <summary>
/// Tells a context that one of its transactions committed: what was saved inside it (a roster
/// import's batches) is only stored once it has, and EF Core raises no event of its own for that.
/// </summary>
internal sealed class CommittedTransactions : DbTransactionInterceptor
{
    public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) =>
        (eventData.Context as KosmoDbContext)?.OnTransactionCommitted(eventData.TransactionId);

    public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        (eventData.Context as KosmoDbContext)?.OnTransactionCommitted(eventData.TransactionId);
        return Task.CompletedTask;
    }
}
