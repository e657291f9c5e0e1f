using Kosmo.Idp.Members.Otp;
using Kosmo.Idp.Members;
using System.Security.Cryptography;
using System.Text;
using Kosmo.Idp.Mail;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Journey.Otp;

/// <summary>
/// Mails six-digit codes and checks them. Everything that limits guessing (failures, sends,
/// cooldown) lives in the member's one challenge row, in the database, so it holds across replicas.
/// </summary>
public sealed class EmailOtpSender(
    KosmoDbContext db, IMailSender mail, AuditLog audit, IOptions<OtpOptions> options, TimeProvider time, Protocol.Keys.ProtocolKeyRing keys)
{
    public Task<EmailOtpChallenge?> CurrentAsync(Guid memberId, CancellationToken cancellationToken) =>
        db.EmailOtpChallenges.AsNoTracking().FirstOrDefaultAsync(c => c.MemberId == memberId, cancellationToken);

    /// <summary>
    /// The limits are read and the new code saved one send at a time per member (resends in
    /// parallel would otherwise all pass the cooldown); the mail goes out after that, so no database
    /// connection waits on the mail provider.
    /// </summary>
    public async Task<OtpSendOutcome> SendAsync(Member member, CancellationToken cancellationToken)
    {
        if (member.Email is null)
        {
            throw new InvalidOperationException("Email codes need a verified address.");
        }

        var reserved = await OneAtATime.RunAsync(db, Email.EmailVerificationService.MailKey(member.Id), () => ReserveAsync(member, cancellationToken), cancellationToken);
        if (reserved.Refusal is { } refusal)
        {
            return refusal;
        }

        var settings = options.Value;
        // When nothing was sent, the code it replaced and the cooldown come back, so the member can
        // retry at once (unless another send has replaced this code meanwhile).
        var previous = reserved.Previous!;
        var message = EmailOtpMail.Create(reserved.Address!, settings.EmailSubject, reserved.Code!, settings.EmailCodeLifetime, reserved.ExpiresAt);
        var handOver = await ReservedMail.SendOrUndoAsync(mail, message, () => db.EmailOtpChallenges
                .Where(c => c.Id == reserved.ChallengeId && c.CodeHash == reserved.NewHash)
                .ExecuteUpdateAsync(set => set
                    .SetProperty(c => c.CodeHash, previous.CodeHash)
                    .SetProperty(c => c.SentAt, previous.SentAt)
                    .SetProperty(c => c.ExpiresAt, previous.ExpiresAt)
                    .SetProperty(c => c.SendsInWindow, c => c.SendsInWindow - 1), CancellationToken.None), cancellationToken);
        // A verified address the provider refuses now is no more the member's to mend on this page than an outage.
        if (handOver is MailHandOver.NotSent or MailHandOver.AddressRefused)
        {
            audit.Record(AuditKinds.OtpNotSent, member.Id, handOver == MailHandOver.AddressRefused ? "address refused by the mail provider" : "mail provider unavailable");
            await db.SaveChangesAsync(cancellationToken);
            return new OtpSendOutcome(OtpSendStatus.MailUnavailable, null);
        }

        audit.Record(AuditKinds.OtpSent, member.Id, handOver == MailHandOver.Sent ? "email" : "email, not confirmed by the provider");
        await db.SaveChangesAsync(cancellationToken);
        return new OtpSendOutcome(handOver == MailHandOver.Sent ? OtpSendStatus.Sent : OtpSendStatus.Unconfirmed, null);
    }

    private sealed record CodeBefore(byte[] CodeHash, DateTimeOffset SentAt, DateTimeOffset ExpiresAt);

    private sealed record Reservation(
        OtpSendOutcome? Refusal, Guid ChallengeId = default, string? Code = null, byte[]? NewHash = null, CodeBefore? Previous = null, string? Address = null,
        DateTimeOffset ExpiresAt = default);

    private async Task<Reservation> ReserveAsync(Member member, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        var challenge = await db.EmailOtpChallenges.FirstOrDefaultAsync(c => c.MemberId == member.Id, cancellationToken);
        if (challenge is not null && now - challenge.WindowStartedAt >= TimeSpan.FromHours(1))
        {
            // A new hour: counts start again.
            challenge.WindowStartedAt = now;
            challenge.SendsInWindow = 0;
            challenge.Failures = 0;
        }

        // After too many wrong codes a new code would be refused too: say when tries come back instead of mailing one
        // (before the cooldown, which would only say to wait half a minute).
        if (challenge is not null && challenge.Failures >= settings.EmailMaximumFailures)
        {
            return new Reservation(new OtpSendOutcome(OtpSendStatus.TooManyFailures, challenge.WindowStartedAt.AddHours(1) - now));
        }

        // The cooldown holds back resends of a live code; a new sign-in after a used code gets its code at once.
        if (challenge is { CodeHash.Length: > 0 } && now - challenge.SentAt < settings.EmailResendCooldown)
        {
            return new Reservation(new OtpSendOutcome(OtpSendStatus.CoolingDown, settings.EmailResendCooldown - (now - challenge.SentAt)));
        }

        if (challenge is not null && challenge.SendsInWindow >= settings.EmailMaximumSendsPerHour)
        {
            return new Reservation(new OtpSendOutcome(OtpSendStatus.HourlyLimitReached, challenge.WindowStartedAt.AddHours(1) - now));
        }

        challenge ??= db.EmailOtpChallenges.Add(new EmailOtpChallenge { MemberId = member.Id, CodeHash = [], WindowStartedAt = now }).Entity;
        var previous = new CodeBefore(challenge.CodeHash, challenge.SentAt, challenge.ExpiresAt);
        var code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
        challenge.CodeHash = Hash(challenge.Id, code);
        challenge.SentAt = now;
        challenge.ExpiresAt = now + settings.EmailCodeLifetime;
        challenge.SendsInWindow++;
        await db.SaveChangesAsync(cancellationToken);
        // Read under the lock that a confirmed change of address also takes: the code goes to the
        // address as it is now, not as it was when this request loaded the member.
        var address = await db.Members.Where(m => m.Id == member.Id).Select(m => m.Email).SingleAsync(cancellationToken) ?? member.Email;
        return new Reservation(null, challenge.Id, code, challenge.CodeHash, previous, address, challenge.ExpiresAt);
    }

    public async Task<OtpCheck> VerifyAsync(Member member, string code, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        var challenge = await db.EmailOtpChallenges.AsNoTracking().FirstOrDefaultAsync(c => c.MemberId == member.Id, cancellationToken);
        if (challenge is null || challenge.CodeHash.Length == 0)
        {
            return new OtpCheck(OtpCheckStatus.NoCode, 0);
        }

        if (challenge.Failures >= settings.EmailMaximumFailures)
        {
            return new OtpCheck(OtpCheckStatus.TooManyFailures, 0);
        }

        if (challenge.ExpiresAt <= now)
        {
            return new OtpCheck(OtpCheckStatus.Expired, 0);
        }

        var hash = new[] { Hash(challenge.Id, code), LegacyHash(challenge.Id, code) }
            .FirstOrDefault(candidate => CryptographicOperations.FixedTimeEquals(candidate, challenge.CodeHash));
        if (hash is not null)
        {
            // Used once: the code is cleared in the same statement that checks it is still there,
            // so of two requests with the same code exactly one gets it. The member proved the
            // mailbox, so the hour's counts start again.
            var won = await db.EmailOtpChallenges
                .Where(c => c.Id == challenge.Id && c.CodeHash == hash)
                .ExecuteUpdateAsync(set => set
                    .SetProperty(c => c.CodeHash, Array.Empty<byte>())
                    .SetProperty(c => c.Failures, 0)
                    .SetProperty(c => c.SendsInWindow, 0), cancellationToken);
            return won == 1 ? new OtpCheck(OtpCheckStatus.Accepted, 0) : new OtpCheck(OtpCheckStatus.NoCode, 0);
        }

        // Counted in the database under the limit, so parallel wrong guesses cannot get past it.
        var counted = await db.EmailOtpChallenges
            .Where(c => c.Id == challenge.Id && c.Failures < settings.EmailMaximumFailures)
            .ExecuteUpdateAsync(set => set.SetProperty(c => c.Failures, c => c.Failures + 1), cancellationToken);
        if (counted == 0)
        {
            return new OtpCheck(OtpCheckStatus.TooManyFailures, 0);
        }

        // The row may be gone by now (the member's MFA reset): nothing left to try, and no lockout either.
        if (await db.EmailOtpChallenges.Where(c => c.Id == challenge.Id).Select(c => (int?)c.Failures).FirstOrDefaultAsync(cancellationToken) is not { } failures)
        {
            return new OtpCheck(OtpCheckStatus.NoCode, 0);
        }

        var left = settings.EmailMaximumFailures - failures;
        return left > 0 ? new OtpCheck(OtpCheckStatus.Wrong, left) : new OtpCheck(OtpCheckStatus.TooManyFailures, 0, ReachedLimit: true);
    }

    private byte[]? _key;

    /// <summary>
    /// A keyed hash: a six-digit code has a million values, which a plain hash in a copied table
    /// gives away in a second. The key is derived from the provider's protected hashing key.
    /// </summary>
    private byte[] Hash(Guid challengeId, string code) =>
        HMACSHA256.HashData(_key ??= keys.HashKeyFor("kosmo email codes"), Encoding.UTF8.GetBytes(challengeId.ToString("N") + ":" + code));

    /// <summary>How codes mailed before 2026-11-27 were stored: one mailed by a replica not yet upgraded still works for its 10 minutes.</summary>
    private static byte[] LegacyHash(Guid challengeId, string code) =>
        SHA256.HashData(Encoding.UTF8.GetBytes(challengeId.ToString("N") + ":" + code));
}

public enum OtpSendStatus
{
    Sent,

    /// <summary>The provider did not confirm the mail; it may arrive late, and its code works.</summary>
    Unconfirmed,
    CoolingDown,
    HourlyLimitReached,
    TooManyFailures,
    MailUnavailable,
}

public sealed record OtpSendOutcome(OtpSendStatus Status, TimeSpan? RetryAfter);

public enum OtpCheckStatus
{
    Accepted,
    Wrong,
    Expired,
    TooManyFailures,
    NoCode,
}

/// <param name="ReachedLimit">This wrong code was the last one allowed: the one try that locks, told apart from the tries refused after it.</param>
public sealed record OtpCheck(OtpCheckStatus Status, int TriesLeft, bool ReachedLimit = false);
