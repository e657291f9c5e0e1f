using Kosmo.Idp.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Mail.Notices;

/// <summary>
/// Hands pending notices to the mail provider. Each is first taken (its NextAttemptAt moved ahead
/// by one conditional update), so the request's background send and the replicas' retry rounds
/// never send one notice twice at the same time.
/// </summary>
public sealed class NoticeDelivery(
    KosmoDbContext db,
    IMailSender mail,
    IOptions<MemberNoticeOptions> options,
    IOptions<Shared.SocietyContactOptions> society,
    TimeProvider time,
    ILogger<NoticeDelivery> logger)
{
    /// <summary>How long a sender holds the notice it took: longer than the provider's longest timeout.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    private const int RoundSize = 200;

    private static readonly TimeSpan FirstRetry = TimeSpan.FromMinutes(1);

    private static readonly TimeSpan LongestWait = TimeSpan.FromMinutes(30);

    /// <summary>Sends the notices that are due, a round at a time; returns how many it sent.</summary>
    public async Task<int> SendDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var due = await db.PendingNotices.AsNoTracking().Where(n => n.NextAttemptAt <= now)
            .OrderBy(n => n.NextAttemptAt).Select(n => n.Id).Take(RoundSize).ToListAsync(cancellationToken);
        var sent = 0;
        foreach (var id in due)
        {
            try
            {
                sent += await SendAsync(id, cancellationToken) ? 1 : 0;
            }
            // One notice's trouble (the database, a moment) does not hold up the others; it stays due.
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Sending notice {NoticeId} failed", id);
            }
        }

        return sent;
    }

    /// <summary>Sends one notice if it is due and nobody else has taken it; true when the provider took it.</summary>
    public async Task<bool> SendAsync(Guid id, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var taken = await db.PendingNotices.Where(n => n.Id == id && n.NextAttemptAt <= now)
            .ExecuteUpdateAsync(set => set.SetProperty(n => n.NextAttemptAt, now + Lease), cancellationToken);
        if (taken == 0)
        {
            return false;
        }

        var notice = await db.PendingNotices.AsNoTracking().SingleAsync(n => n.Id == id, cancellationToken);
        try
        {
            await mail.SendAsync(MemberNoticeMail.Create(notice.To, notice.Notice, notice.HappenedAt, society.Value), cancellationToken);
        }
        // SendGrid took it but did not answer in time: it most likely goes out. Sent again, the
        // member would get two notices of one change; so it counts as sent, and the log says so.
        catch (MailMaybeSentException e)
        {
            logger.LogWarning("The {Notice} notice to member {MemberId} was not confirmed by the provider, and is not sent again: {Reason}", notice.Notice, notice.MemberId, e.Message);
        }
        // Retrying for a day would not make the provider take the address: the member is told another way now.
        catch (MailAddressRefusedException e)
        {
            await RecordFailureAsync(notice, e.Message, final: true);
            return false;
        }
        // Broken mail settings only show when a mail is sent; like the provider's refusal, they may be mended in time.
        catch (Exception e) when (e is MailNotSentException or OptionsValidationException)
        {
            await RecordFailureAsync(notice, e.Message);
            return false;
        }
        // A fault of ours (a text missing for this kind, say): counted like a refusal, so it is given up in the end rather than retried forever.
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "The {Notice} notice to member {MemberId} could not be sent", notice.Notice, notice.MemberId);
            await RecordFailureAsync(notice, "unexpected " + e.GetType().Name);
            return false;
        }

        // Not cancellable: the mail is gone, and a notice left behind would go out twice.
        await db.PendingNotices.Where(n => n.Id == id).ExecuteDeleteAsync(CancellationToken.None);
        return true;
    }

    /// <param name="final">Retrying cannot help (the provider refuses the address itself): given up now.</param>
    private async Task RecordFailureAsync(PendingNotice notice, string reason, bool final = false)
    {
        var now = time.GetUtcNow();
        var attempts = notice.Attempts + 1;
        if (final || now - notice.HappenedAt >= options.Value.RetryFor)
        {
            // The sender logged each cause; this is the one line an operator must act on.
            logger.LogError("The {Notice} notice to member {MemberId} was given up after {Attempts} attempts since {HappenedAt:u}: {Reason}. Tell the member another way.",
                notice.Notice, notice.MemberId, attempts, notice.HappenedAt, reason.TrimEnd('.'));
            await db.PendingNotices.Where(n => n.Id == notice.Id).ExecuteDeleteAsync(CancellationToken.None);
            return;
        }

        var next = now + Shared.RetryWait.Doubling(FirstRetry, attempts, LongestWait);
        var failure = reason.Length > 200 ? reason[..200] : reason;
        await db.PendingNotices.Where(n => n.Id == notice.Id).ExecuteUpdateAsync(set => set
            .SetProperty(n => n.Attempts, attempts)
            .SetProperty(n => n.NextAttemptAt, next)
            .SetProperty(n => n.LastFailure, failure), CancellationToken.None);
        logger.LogWarning("The {Notice} notice to member {MemberId} was not sent (attempt {Attempts}); it is tried again at {NextAttemptAt:u}.",
            notice.Notice, notice.MemberId, attempts, next);
    }
}
