using System.Security.Cryptography;
using System.Text;
using Kosmo.Idp.Mail;
using Kosmo.Idp.Members;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Persistence;
using Kosmo.Idp.Protocol;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Journey.Email;

/// <summary>
/// Sends verification links and consumes them. Limits (cooldown, hourly cap) are read from the
/// database, so they hold across replicas; a link is consumed by a conditional update, so two
/// clicks at once verify once.
/// </summary>
public sealed class EmailVerificationService(
    KosmoDbContext db, IMailSender mail, AuditLog audit, TimeProvider time, IOptions<EmailVerificationOptions> options,
    IOptions<ProtocolOptions> protocol, IHttpContextAccessor http, Mail.Notices.MemberNotices notices)
{
    public const string VerifyPath = "/journey/email/verify";

    public Task<EmailVerification?> LatestAsync(Guid memberId, CancellationToken cancellationToken) =>
        db.EmailVerifications.AsNoTracking()
            .Live().Where(v => v.MemberId == memberId)
            .OrderByDescending(v => v.SentAt)
            .FirstOrDefaultAsync(cancellationToken);

    /// <summary>
    /// The limits are read and the new link saved one send at a time per member: sends in parallel
    /// would otherwise all read the cooldown before any of them is saved, and all mail, to an address
    /// anyone can type. The mail goes out after that, so no database connection waits on the mail
    /// provider; the saved link is what the next send's cooldown sees.
    /// </summary>
    public async Task<SendOutcome> SendAsync(Member member, string email, CancellationToken cancellationToken)
    {
        var (refusal, verification, token) = await OneAtATime.RunAsync(db, MailKey(member.Id), () => ReserveAsync(member, email, cancellationToken), cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        var settings = options.Value;
        // The link opens on another device (the phone), which has no language cookie: it carries the page's.
        var language = Localization.LocalizationRegistration.IsEnglish ? "&" + OpenIddict.Abstractions.OpenIddictConstants.Parameters.UiLocales + "=en" : "";
        var link = new Uri(SiteBase(), VerifyPath + "?token=" + token + language).ToString();
        // When nothing was sent, nothing should wait for it; the member retries with the address still in the form.
        var message = EmailVerificationMail.Create(email, link, verification!.ExpiresAt, changingAddress: member.Email is not null);
        // Unconfirmed counts as sent: the waiting page asks the member to open the mail or to resend, which is what
        // a mail that may be late needs too, and the link in it works if it comes.
        var handOver = await ReservedMail.SendOrUndoAsync(mail, message, () => UndoReservationAsync(member.Id, verification!.Id), cancellationToken);
        if (handOver is MailHandOver.NotSent or MailHandOver.AddressRefused)
        {
            // Takes back the sent event recorded with the link: the limits count neither.
            var refused = handOver == MailHandOver.AddressRefused;
            audit.Record(AuditKinds.EmailVerificationNotSent, member.Id, refused ? "address refused by the mail provider" : "mail provider unavailable");
            await db.SaveChangesAsync(cancellationToken);
            return new SendOutcome(refused ? SendStatus.AddressRefused : SendStatus.MailUnavailable, null);
        }

        return new SendOutcome(SendStatus.Sent, null);
    }

    /// <summary>
    /// A link that was never mailed goes, and the links it replaced work again: the member may have
    /// the earlier mail open, and nothing newer came. Unless another send has saved a link since.
    /// </summary>
    private Task UndoReservationAsync(Guid memberId, Guid unsentId) =>
        OneAtATime.RunAsync(db, MailKey(memberId), async () =>
        {
            var replacedAt = db.EmailVerifications.Where(v => v.Id == unsentId).Select(v => v.SentAt);
            if (!await db.EmailVerifications.AnyAsync(v => v.MemberId == memberId && v.Id != unsentId && v.ReplacedAt == null, CancellationToken.None))
            {
                await db.EmailVerifications.Where(v => v.MemberId == memberId && v.ReplacedAt == replacedAt.First())
                    .ExecuteUpdateAsync(set => set.SetProperty(v => v.ReplacedAt, (DateTimeOffset?)null), CancellationToken.None);
            }

            return await db.EmailVerifications.Where(v => v.Id == unsentId).ExecuteDeleteAsync(CancellationToken.None);
        }, CancellationToken.None);

    /// <summary>The key under which mails to a member are sent one at a time (verification links and codes share it).</summary>
    public static string MailKey(Guid memberId) => "mail:" + memberId.ToString("N");

    private async Task<(SendOutcome? Refusal, EmailVerification? Verification, string? Token)> ReserveAsync(
        Member member, string email, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        // The cooldown counts from the last link mailed (the audit trail, which cancelling a link
        // leaves alone) or the one being mailed now (its row, saved before it goes out). It holds back
        // a second mail to the same address only: a member who spots a typo right after sending gets
        // the corrected address's mail at once (the hourly cap below still counts both).
        var latestRow = await db.EmailVerifications.Where(v => v.MemberId == member.Id && v.ReplacedAt == null).OrderByDescending(v => v.SentAt)
            .Select(v => new { v.SentAt, v.Email }).FirstOrDefaultAsync(cancellationToken);
        // The hour's mails answer all three questions: the cooldown (at most 10 minutes) lies within it.
        // Counted from the audit trail, which keeps the mails of links since withdrawn (an address
        // change cancelled) and gets each mail's event here, under the lock, with its link: sends in
        // parallel each see the ones before, even while those are still with the provider.
        var hourAgo = now.AddHours(-1);
        var events = await db.AuditEvents
            .Where(a => a.MemberId == member.Id && a.OccurredAt > hourAgo
                && (a.Kind == AuditKinds.EmailVerificationSent || a.Kind == AuditKinds.EmailVerificationNotSent
                    || a.Kind == AuditKinds.InitialPasswordChoicesForgotten))
            .OrderBy(a => a.OccurredAt).ThenBy(a => a.Id).Select(a => new { a.Kind, a.OccurredAt }).ToListAsync(cancellationToken);
        // A mail the provider refused is not one: its not-sent event takes back the sent event before it.
        var mailed = new List<DateTimeOffset>();
        DateTimeOffset? signedInAgainAt = null;
        foreach (var e in events)
        {
            if (e.Kind == AuditKinds.EmailVerificationSent)
            {
                mailed.Add(e.OccurredAt);
            }
            else if (e.Kind == AuditKinds.InitialPasswordChoicesForgotten)
            {
                signedInAgainAt = e.OccurredAt;
            }
            else if (mailed.Count > 0)
            {
                mailed.RemoveAt(mailed.Count - 1);
            }
        }

        int MailedSince(DateTimeOffset since) => mailed.Count(at => at > since);
        // One correction per cooldown: changing the address back and forth (or only its case, which
        // names the same mailbox) is no way around the wait.
        var sentWithinCooldown = MailedSince(now - settings.ResendCooldown);
        var correctingTheAddress = latestRow is not null && !string.Equals(latestRow.Email, email, StringComparison.OrdinalIgnoreCase) && sentWithinCooldown <= 1;
        // A new sign-in with the initial password cancelled the link mailed before it (or forgot the address
        // it confirmed), and the page says so: the first mail it asks for goes out at once (each one after
        // that waits, and the hourly cap holds).
        var firstAfterASignIn = signedInAgainAt is { } signedIn && !(latestRow?.SentAt >= signedIn) && !mailed.Any(at => at >= signedIn);
        if (!correctingTheAddress && !firstAfterASignIn && mailed.Select(at => (DateTimeOffset?)at).Append(latestRow?.SentAt).Max() is { } sentAt
            && now - sentAt < settings.ResendCooldown)
        {
            return (new SendOutcome(SendStatus.CoolingDown, settings.ResendCooldown - (now - sentAt)), null, null);
        }

        if (MailedSince(hourAgo) >= settings.MaximumSendsPerHour)
        {
            return (new SendOutcome(SendStatus.HourlyLimitReached, null), null, null);
        }

        // One live link per member: a resend or another address makes every older link useless
        // (kept until it would have expired, to tell whoever opens it which mail to open).
        await db.EmailVerifications.Where(v => v.MemberId == member.Id && v.ReplacedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(v => v.ReplacedAt, now), cancellationToken);
        var token = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        var verification = db.EmailVerifications.Add(new EmailVerification
        {
            MemberId = member.Id,
            Email = email,
            TokenHash = Hash(token),
            SentAt = now,
            ExpiresAt = now + settings.LinkLifetime,
        }).Entity;
        audit.Record(AuditKinds.EmailVerificationSent, member.Id, "to " + Mask(email));
        await db.SaveChangesAsync(cancellationToken);
        return (null, verification, token);
    }

    /// <summary>
    /// Kills the member's unopened links (audited with <paramref name="why"/>; saved by the caller's
    /// SaveChanges, the deletion at once). An address change typed by someone in a session the member
    /// has just ended must not complete later from that person's mailbox.
    /// </summary>
    public async Task<int> CancelPendingAsync(Guid memberId, string why, CancellationToken cancellationToken)
    {
        var cancelled = await DeletePendingAsync(db, memberId, cancellationToken);
        if (cancelled > 0)
        {
            audit.Record(AuditKinds.EmailVerificationCancelled, memberId, why);
        }

        return cancelled;
    }

    /// <summary>
    /// Deletes the member's live unopened link, without an audit event (for a caller that records its
    /// own). Replaced links confirm nothing already; they stay to say which mail to open.
    /// </summary>
    public static Task<int> DeletePendingAsync(KosmoDbContext db, Guid memberId, CancellationToken cancellationToken) =>
        db.EmailVerifications.Live().Where(v => v.MemberId == memberId).ExecuteDeleteAsync(cancellationToken);

    public async Task<LinkState> InspectAsync(string? token, CancellationToken cancellationToken)
    {
        var verification = await FindAsync(token, cancellationToken);
        return await ConfirmedOrAsync(verification, StateOf(verification, time.GetUtcNow()), cancellationToken);
    }

    /// <summary>How long a mailed link works.</summary>
    public TimeSpan LinkLifetime => options.Value.LinkLifetime;

    /// <summary>
    /// A used (or replaced, or expired) link whose address is the member's verified one has nothing
    /// left to do (the page reloaded, the mail opened again, the first of two mails opened after the
    /// second): it says so, instead of a refusal and a resend the member no longer needs.
    /// </summary>
    private async Task<LinkState> ConfirmedOrAsync(EmailVerification? verification, LinkState state, CancellationToken cancellationToken) =>
        state.Status is LinkStatus.Used or LinkStatus.Replaced or LinkStatus.Expired && verification is not null
        && await db.Members.AnyAsync(m => m.Id == verification.MemberId && m.Email == verification.Email && m.EmailVerifiedAt != null, cancellationToken)
            ? state with { Status = LinkStatus.Confirmed }
            : state;

    /// <summary>Consumes the link and stores the address as the member's verified one.</summary>
    public async Task<LinkState> ConfirmAsync(string? token, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var verification = await FindAsync(token, cancellationToken);
        var state = await ConfirmedOrAsync(verification, StateOf(verification, now), cancellationToken);
        if (state.Status != LinkStatus.Valid)
        {
            if (verification is not null && state.Status != LinkStatus.Confirmed)
            {
                audit.Record(AuditKinds.EmailVerificationRefused, verification.MemberId, state.Status.ToString());
                await db.SaveChangesAsync(cancellationToken);
            }

            return state;
        }

        // The link is used up and the address stored in one transaction: a database failure between
        // the two would otherwise leave a used link and no verified address. Under the lock a code
        // mail reserves its code under, which then reads the new address.
        var (confirmed, replaced) = await OneAtATime.RunAsync(db, MailKey(verification!.MemberId), async () =>
        {
            var consumed = await db.EmailVerifications
                .Live().Where(v => v.Id == verification.Id)
                .ExecuteUpdateAsync(set => set.SetProperty(v => v.ConsumedAt, now), cancellationToken);
            if (consumed == 0)
            {
                return (false, (string?)null);
            }

            var member = await db.Members.FirstAsync(m => m.Id == verification.MemberId, cancellationToken);
            var previous = member.Email;
            member.Email = verification.Email;
            member.EmailVerifiedAt = now;
            member.UpdatedAt = now;
            audit.Record(AuditKinds.EmailVerified, member.Id, Mask(verification.Email));
            var replacedAddress = previous is not null && !string.Equals(previous, verification.Email, StringComparison.OrdinalIgnoreCase) ? previous : null;
            // A code mailed to the old address must not outlive it (the member may be leaving a mailbox
            // someone else reads): the next sign-in mails a fresh code to the new one; the counts stay.
            if (replacedAddress is not null)
            {
                await db.EmailOtpChallenges.Where(c => c.MemberId == member.Id)
                    .ExecuteUpdateAsync(set => set.SetProperty(c => c.CodeHash, Array.Empty<byte>()), cancellationToken);
            }

            await db.SaveChangesAsync(cancellationToken);
            return (true, replacedAddress);
        }, cancellationToken);
        if (!confirmed)
        {
            // The same link confirmed by a request a moment earlier (a double submit), or replaced meanwhile.
            return await ConfirmedOrAsync(verification, state with { Status = LinkStatus.Used }, cancellationToken);
        }

        if (replaced is not null)
        {
            // The old address hears of it: if someone else changed it, the member still learns.
            await notices.QueueAsync(verification.MemberId, replaced, Mail.Notices.MemberNotice.EmailChanged);
        }

        return state;
    }

    /// <summary>The configured issuer, so links in mails never follow a request's Host header; the request's own address only where none is configured (Development).</summary>
    private Uri SiteBase() => protocol.Value.IssuerFor(http.HttpContext?.Request)
        ?? throw new InvalidOperationException("No issuer is configured and there is no request to take the address from.");

    /// <summary>Enough of an address for the member to recognise it, not enough to harvest it from a page or an audit row.</summary>
    public static string Mask(string email)
    {
        var at = email.LastIndexOf('@');
        if (at <= 0)
        {
            return "***";
        }

        var local = email[..at];
        return (local.Length <= 2 ? local[..1] : local[..2]) + "***" + email[at..];
    }

    private async Task<EmailVerification?> FindAsync(string? token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 100)
        {
            return null;
        }

        var hash = Hash(token);
        return await db.EmailVerifications.AsNoTracking().FirstOrDefaultAsync(v => v.TokenHash == hash, cancellationToken);
    }

    private static LinkState StateOf(EmailVerification? verification, DateTimeOffset now) => verification switch
    {
        null => new LinkState(LinkStatus.Invalid, null, null),
        { ConsumedAt: not null } => new LinkState(LinkStatus.Used, verification.MemberId, Mask(verification.Email)),
        { ReplacedAt: not null } => new LinkState(LinkStatus.Replaced, verification.MemberId, Mask(verification.Email)),
        _ when verification.ExpiresAt <= now => new LinkState(LinkStatus.Expired, verification.MemberId, Mask(verification.Email)),
        _ => new LinkState(LinkStatus.Valid, verification.MemberId, Mask(verification.Email)),
    };

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}

public enum SendStatus
{
    Sent,
    CoolingDown,
    HourlyLimitReached,
    MailUnavailable,

    /// <summary>The mail provider will not deliver to the address as typed: the member checks it or uses another.</summary>
    AddressRefused,
}

public sealed record SendOutcome(SendStatus Status, TimeSpan? RetryAfter);

public enum LinkStatus
{
    Valid,
    Expired,
    Used,
    Invalid,

    /// <summary>A newer link was mailed to the member.</summary>
    Replaced,

    /// <summary>Used, and its address is the member's verified one: nothing left to do.</summary>
    Confirmed,
}

public sealed record LinkState(LinkStatus Status, Guid? MemberId, string? MaskedEmail);
