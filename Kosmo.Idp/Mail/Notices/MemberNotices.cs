using Kosmo.Idp.Members;
using Kosmo.Idp.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Kosmo.Idp.Mail.Notices;

/// <summary>
/// Tells a member of a change made on the hosted pages (a password, an address, an authenticator
/// app, recovery codes): saved with the request, mailed in the background (<see cref="NoticeSending"/>),
/// so the member's page answers whatever the mail provider is doing.
/// </summary>
/// <remarks>
/// Called once the change is committed (the background sender reads the notice at once). A notice
/// that cannot be saved is logged, not thrown: the change is made, and the page's answer (a new
/// session cookie among it) must reach the member.
/// </remarks>
public sealed class MemberNotices(KosmoDbContext db, NoticeSending sending, TimeProvider time, ILogger<MemberNotices> logger)
{
    /// <summary>Tells the member at their address, if they have one.</summary>
    public Task QueueAsync(Member member, MemberNotice notice) =>
        member.Email is { } address ? QueueAsync(member.Id, address, notice) : Task.CompletedTask;

    /// <summary>Tells the member at <paramref name="address"/> (an address they just replaced, say).</summary>
    public async Task QueueAsync(Guid memberId, string address, MemberNotice notice)
    {
        var pending = PendingNotice.Create(memberId, address, notice, time.GetUtcNow());
        var entry = db.PendingNotices.Add(pending);
        try
        {
            // Not cancellable: the change it tells of is already saved.
            await db.SaveChangesAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is DbUpdateException or InvalidOperationException or System.Data.Common.DbException)
        {
            entry.State = EntityState.Detached;
            logger.LogError(e, "The {Notice} notice to member {MemberId} could not be saved, and is not sent. Tell the member another way.", notice, memberId);
            return;
        }

        sending.Post(pending.Id);
    }
}
