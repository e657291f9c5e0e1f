using Kosmo.Idp.Members;
using Kosmo.Idp.Persistence;

namespace Kosmo.Idp.Mail.Notices;

/// <summary>
/// Tells a member of a change made on the hosted pages (a password, an address, an authenticator
/// app, recovery codes): saved with the request, mailed in the background (<see cref="NoticeSending"/>),
/// so the member's page answers whatever the mail provider is doing.
/// </summary>
public sealed class MemberNotices(KosmoDbContext db, NoticeSending sending, TimeProvider time)
{
    /// <summary>Tells the member at their address, if they have one.</summary>
    public Task QueueAsync(Member member, MemberNotice notice) =>
        member.Email is { } address ? QueueAsync(member.Id, address, notice) : Task.CompletedTask;

    /// <summary>Tells the member at <paramref name="address"/> (an address they just replaced, say).</summary>
    public async Task QueueAsync(Guid memberId, string address, MemberNotice notice)
    {
        var pending = PendingNotice.Create(memberId, address, notice, time.GetUtcNow());
        db.PendingNotices.Add(pending);
        // Not cancellable: the change it tells of is already saved.
        await db.SaveChangesAsync(CancellationToken.None);
        sending.Post(pending.Id);
    }
}
