using Kosmo.Idp.Journey;
using Kosmo.Idp.Journey.Email;
using Kosmo.Idp.Mail;
using Kosmo.Idp.Mail.Notices;
using Kosmo.Idp.Members;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Persistence;
using Kosmo.Idp.Protocol;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.EntityFrameworkCore.Models;
using static OpenIddict.Abstractions.OpenIddictConstants;
using Kosmo.Idp.Shared;

namespace Kosmo.Idp.Operations.MemberCommands;

/// <summary>
/// The society's operators' changes to one member: lock, unlock, reset MFA, reset the password, sign out. Each
/// change is written with its audit event in one transaction, then the member is mailed; a mail
/// that cannot be sent does not undo the change, because the change is what the operator needs.
/// </summary>
public sealed class MemberAdministration(
    KosmoDbContext db,
    AuditLog audit,
    IMailSender mail,
    TimeProvider time,
    IOptions<Shared.SocietyContactOptions> society,
    SessionTermination sessions,
    Protocol.Logout.BackchannelLogout backchannel,
    IOptions<Members.Otp.OtpOptions> otp,
    ILogger<MemberAdministration> logger)
{

    public async Task<MemberChangeResult> UnlockAsync(string userId, OperatorNote note, CancellationToken cancellationToken)
    {
        var member = await FindAsync(userId, cancellationToken);
        if (member is null)
        {
            return MemberChangeResult.Unknown(userId);
        }

        // Under the member's mail lock, as a code is mailed: a login mailing a code at the same
        // moment either finishes first or starts after the release, never in between.
        var (result, recorded) = await OneAtATime.RunAsync(db, Journey.Email.EmailVerificationService.MailKey(member.Id),
            () => ReleaseLocksAsync(member, note, cancellationToken), cancellationToken);
        return recorded is null ? result : await NotifyAsync(member, MemberNotice.Unlocked, recorded, result, cancellationToken);
    }

    private async Task<(MemberChangeResult Result, AuditEvent? Recorded)> ReleaseLocksAsync(Member member, OperatorNote note, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var throttle = await db.SignInThrottles.SingleOrDefaultAsync(t => t.NormalizedUserId == member.NormalizedUserId, cancellationToken);
        var codePause = await db.SignInThrottles.FindAsync([AttemptThrottle.SecondFactorKey(member.Id)], cancellationToken);
        // Codes by mail held back for the rest of the hour (too many wrong codes or mails): the member
        // who called the society about it would otherwise still wait after being "unlocked".
        var mailedCodes = await db.EmailOtpChallenges.SingleOrDefaultAsync(c => c.MemberId == member.Id, cancellationToken);
        var mailedCodesHeld = mailedCodes?.HoldsCodesBack(now, otp.Value) == true;
        var lockedOut = SignInLockout.RemainingLock(throttle, now) is not null || SignInLockout.RemainingLock(codePause, now) is not null
            || mailedCodesHeld;
        // Wrong tries counted towards a lock that has not come, or has run out: the member who called
        // gets a fresh start, or the very next wrong password would lock the ID again.
        var counting = throttle is { FailedCount: > 0 } || codePause is { FailedCount: > 0 } || member.BirthDateFailures > 0
            || mailedCodes is { Failures: > 0 };
        if (!member.IsLocked && !lockedOut && !counting)
        {
            return (new MemberChangeResult(MemberChangeOutcome.NothingToDo, $"{member.UserId} is not locked and has no wrong tries counted; nothing changed."), null);
        }

        var changes = new List<string>();
        if (member.IsLocked)
        {
            changes.Add($"account lock removed (locked {OperatorText.Time(member.LockedAt)}, reason {member.LockReason?.ToString() ?? "not recorded"})");
            member.LockedAt = null;
            member.LockReason = null;
        }

        if (member.BirthDateFailures > 0)
        {
            changes.Add($"wrong-birthdate count reset (was {member.BirthDateFailures})");
            member.BirthDateFailures = 0;
        }

        if (throttle is not null)
        {
            changes.Add(SignInLockout.RemainingLock(throttle, now) is null
                ? $"wrong-password count reset (was {throttle.FailedCount}; not locked now)"
                : $"sign-in lockout cleared ({throttle.FailedCount} wrong passwords, locked until {OperatorText.Time(throttle.LockedUntil)})");
            db.SignInThrottles.Remove(throttle);
        }

        if (codePause is not null)
        {
            changes.Add(SignInLockout.RemainingLock(codePause, now) is null
                ? $"wrong-code count reset (was {codePause.FailedCount}; not paused now)"
                : $"one-time-password pause cleared ({codePause.FailedCount} wrong codes)");
            db.SignInThrottles.Remove(codePause);
        }

        if (mailedCodesHeld || mailedCodes is { Failures: > 0 })
        {
            // A new hour's counts. A code the member may still hold (held back only for the number of
            // mails, perhaps mailed a moment ago) stays usable; one that met too many wrong guesses does not.
            var guessedAt = mailedCodes!.Failures >= otp.Value.EmailMaximumFailures;
            changes.Add($"codes by mail released ({mailedCodes.Failures} wrong codes, {mailedCodes.SendsInWindow} mails this hour; "
                + (guessedAt ? "the next login mails a new code)" : "the code last mailed still works)"));
            if (guessedAt)
            {
                mailedCodes.CodeHash = [];
            }

            mailedCodes.WindowStartedAt = now;
            mailedCodes.SendsInWindow = 0;
            mailedCodes.Failures = 0;
        }

        member.UpdatedAt = now;
        var recorded = audit.Record(AuditKinds.AccountUnlocked, member.Id, Detail(note, changes));
        await db.SaveChangesAsync(cancellationToken);
        return (new MemberChangeResult(MemberChangeOutcome.Changed, $"{member.UserId} unlocked.") { Changes = changes }, recorded);
    }

    /// <summary>
    /// The society ends a member's access (a member who left, an account someone else may be using):
    /// the account is locked until `members unlock`, every session ends and the apps' tokens are
    /// revoked. Nothing else changes, so unlocking gives the member back the account as it was.
    /// </summary>
    public async Task<MemberChangeResult> LockAsync(string userId, OperatorNote note, CancellationToken cancellationToken)
    {
        var member = await FindAsync(userId, cancellationToken);
        if (member is null)
        {
            return MemberChangeResult.Unknown(userId);
        }

        if (member.IsLocked)
        {
            return new MemberChangeResult(MemberChangeOutcome.NothingToDo,
                $"{member.UserId} is already locked (since {OperatorText.Time(member.LockedAt)}, reason {member.LockReason?.ToString() ?? "not recorded"}); nothing changed.");
        }

        member.LockedAt = time.GetUtcNow();
        member.LockReason = MemberLockReason.Operator;
        return await ChangeAndSignOutAsync(member, AuditKinds.AccountLocked, MemberNotice.LockedByOperator, note, ["account locked by an operator"],
            $"{member.UserId} locked: sign-in is refused until `members unlock {member.UserId}`.", cancellationToken);
    }

    /// <param name="forgetEmail">
    /// Also forget the verified address: a member who lost the mailbox, with no app to sign in with
    /// and change it on the account page, would otherwise be mailed codes there again. The member
    /// then gives and confirms a new address at the next login, as at the first one.
    /// </param>
    public async Task<MemberChangeResult> ResetMfaAsync(string userId, OperatorNote note, bool forgetEmail, CancellationToken cancellationToken)
    {
        var member = await FindAsync(userId, cancellationToken);
        if (member is null)
        {
            return MemberChangeResult.Unknown(userId);
        }

        // What it removes is read under the locks a code's check and an app's setup take (the code lock, then the
        // member's row): an app confirmed or a code accepted a moment before is removed too, not left behind.
        await using var transaction = await Journey.SecondFactorChange.BeginAsync(db, member, cancellationToken);
        var devices = await db.TotpDevices.Where(d => d.MemberId == member.Id).ToListAsync(cancellationToken);
        var challenges = await db.EmailOtpChallenges.Where(c => c.MemberId == member.Id).ToListAsync(cancellationToken);
        var codes = await db.RecoveryCodes.Where(c => c.MemberId == member.Id).ToListAsync(cancellationToken);
        var changes = new List<string>();
        if (member.OtpMethod is { } method)
        {
            changes.Add($"OTP method {method} cleared");
        }

        if (member.EmailOtpEnabledAt is not null)
        {
            changes.Add("email OTP turned off");
        }

        if (member.AppOtpEnabledAt is not null)
        {
            changes.Add("app OTP turned off");
        }

        if (devices.Count > 0)
        {
            changes.Add($"{devices.Count} authenticator app device(s) removed");
        }

        if (challenges.Count > 0)
        {
            changes.Add("pending mailed one-time password removed");
        }

        if (codes.Count > 0)
        {
            changes.Add($"{codes.Count} recovery code(s) removed ({codes.Count(c => c.UsedAt is null)} unused)");
        }
        else if (member.RecoveryCodesSavedAt is not null)
        {
            changes.Add("recovery codes marked as not saved");
        }

        if (forgetEmail && member.Email is { } forgotten)
        {
            // Nothing more goes there (the mailbox is lost, or no longer the member's), not even a notice
            // still waiting to be mailed; nor is it offered again on the email page from the roster.
            changes.Add($"verified address {Journey.Email.EmailVerificationService.Mask(forgotten)} forgotten: no mail is sent, tell the member; a new address is confirmed at the next login");
            var lowered = forgotten.ToLowerInvariant();
            var withdrawn = await db.PendingNotices.Where(n => n.MemberId == member.Id && n.To.ToLower() == lowered).ExecuteDeleteAsync(cancellationToken);
            if (withdrawn > 0)
            {
                changes.Add($"{withdrawn} notice(s) waiting to be mailed there withdrawn");
            }

            if (string.Equals(member.RosterEmail, forgotten, StringComparison.OrdinalIgnoreCase))
            {
                member.RosterEmail = null;
                changes.Add("the roster's copy of the address is no longer offered on the email page (until a roster names an address again)");
            }

            member.Email = null;
            member.EmailVerifiedAt = null;
        }

        if (changes.Count == 0)
        {
            return new MemberChangeResult(MemberChangeOutcome.NothingToDo, $"{member.UserId} has no MFA set up{(forgetEmail ? " and no address" : "")}; nothing changed.");
        }

        db.TotpDevices.RemoveRange(devices);
        db.EmailOtpChallenges.RemoveRange(challenges);
        db.RecoveryCodes.RemoveRange(codes);
        // A pause after wrong codes belonged to the factors that are gone.
        if (await db.SignInThrottles.FindAsync([AttemptThrottle.SecondFactorKey(member.Id)], cancellationToken) is { } codePause)
        {
            db.SignInThrottles.Remove(codePause);
        }

        member.OtpMethod = null;
        member.EmailOtpEnabledAt = null;
        member.AppOtpEnabledAt = null;
        member.RecoveryCodesSavedAt = null;
        Journey.Recovery.AskedRecoveryCodes.Forget(member);
        return await ChangeAndSignOutAsync(member, AuditKinds.MfaReset, MemberNotice.MfaReset, note, changes,
            forgetEmail
                ? $"MFA and address of {member.UserId} reset: the member confirms an address, then chooses and sets up a method again at the next login."
                : $"MFA of {member.UserId} reset: the member chooses and sets up a method again at the next login.", cancellationToken);
    }

    public async Task<MemberChangeResult> ResetPasswordAsync(string userId, OperatorNote note, CancellationToken cancellationToken)
    {
        var member = await FindAsync(userId, cancellationToken);
        if (member is null)
        {
            return MemberChangeResult.Unknown(userId);
        }

        if (RosterPassword.For(member) is null)
        {
            return new MemberChangeResult(MemberChangeOutcome.Refused,
                $"{member.UserId} has no 記号/番号/birthdate on record, so the initial password (記号+番号+生年月日) cannot be computed; nothing changed. Load the member's roster line first (members import).");
        }

        var stillLocked = await LockWarningAsync(member, cancellationToken);
        if (member is { PasswordHash: null, PasswordMustChange: true })
        {
            return new MemberChangeResult(MemberChangeOutcome.NothingToDo,
                $"{member.UserId} already has the initial password (記号+番号+生年月日); nothing changed." + stillLocked);
        }

        var changes = new List<string>
        {
            member.PasswordMustChange
                ? "issued initial password replaced by the rule 記号+番号+生年月日"
                : $"chosen password (set {OperatorText.Time(member.PasswordChangedAt)}) replaced by the rule 記号+番号+生年月日",
            "the member must choose a new password at the next login",
        };
        member.PasswordHash = null;
        member.PasswordMustChange = true;
        member.PasswordChangedAt = null;
        var result = await ChangeAndSignOutAsync(member, AuditKinds.PasswordReset, MemberNotice.PasswordReset, note, changes,
            $"Password of {member.UserId} reset to the initial rule 記号+番号+生年月日.", cancellationToken);
        return result with { Summary = result.Summary + stillLocked };
    }

    /// <summary>" The account is still locked …" when a lock would stop the member from using the password they were just told.</summary>
    private async Task<string> LockWarningAsync(Member member, CancellationToken cancellationToken)
    {
        if (member.IsLocked)
        {
            return $" The account is still locked (reason {member.LockReason?.ToString() ?? "not recorded"}): run `members unlock` as well.";
        }

        var throttle = await db.SignInThrottles.AsNoTracking().SingleOrDefaultAsync(t => t.NormalizedUserId == member.NormalizedUserId, cancellationToken);
        return SignInLockout.RemainingLock(throttle, time.GetUtcNow()) is { } remaining
            ? $" Sign-in is still locked for {Wait.WholeMinutes(remaining)} minute(s) after {throttle!.FailedCount} wrong passwords: run `members unlock` as well."
            : "";
    }

    /// <summary>
    /// "Someone else may be signed in as me": every session of the member ends and the apps' tokens
    /// are revoked, without touching the password or the methods.
    /// </summary>
    public async Task<MemberChangeResult> SignOutAsync(string userId, OperatorNote note, CancellationToken cancellationToken)
    {
        var member = await FindAsync(userId, cancellationToken);
        return member is null
            ? MemberChangeResult.Unknown(userId)
            : await ChangeAndSignOutAsync(member, AuditKinds.SignedOutEverywhere, MemberNotice.SignedOutByOperator, note, [],
                $"{member.UserId} signed out of every device.", cancellationToken);
    }

    /// <summary>
    /// Every member, every device: after restoring an older backup (refresh tokens revoked since
    /// then would work again) or when cookies or tokens may have leaked. Set-based, so it takes
    /// seconds for the whole roster; no mails, since it concerns everyone. Relying apps with a
    /// logout URI are told by the running service, which sends the notices saved here.
    /// </summary>
    public async Task<MemberChangeResult> SignOutEveryoneAsync(OperatorNote note, CancellationToken cancellationToken)
    {
        backchannel.EnsureSettingsAreValid();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var members = await db.Members.ExecuteUpdateAsync(set => set
            .SetProperty(m => m.SessionVersion, m => m.SessionVersion + 1)
            .SetProperty(m => m.UpdatedAt, time.GetUtcNow()), cancellationToken);
        var tokens = await db.Set<OpenIddictEntityFrameworkCoreToken>()
            .Where(t => t.Status == Statuses.Valid || t.Status == Statuses.Inactive)
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.Status, Statuses.Revoked), cancellationToken);
        // One statement that also names what it ended, so every sign-in revoked, even one made a
        // moment ago, gets its logout notice. The table is OpenIddict's; its columns, like the ones the
        // result is read from, are snake_case here (EFCore.NamingConventions).
        var ended = await db.Database.SqlQueryRaw<Protocol.Logout.EndedSignIn>(
            """
            UPDATE "OpenIddictAuthorizations" SET status = {0} WHERE status = {1}
            RETURNING application_id, subject, properties
            """, Statuses.Revoked, Statuses.Valid).ToListAsync(cancellationToken);
        var authorizations = ended.Count;
        var notices = await backchannel.QueueEndedSignInsAsync(ended, cancellationToken);
        // As for one member: an address change typed in a session that may have leaked must not
        // complete later from that session's mailbox.
        var links = await db.EmailVerifications.Live().ExecuteDeleteAsync(cancellationToken);
        List<string> changes =
        [
            $"{members} member(s) signed out of every session",
            $"{tokens} token(s) and {authorizations} authorization(s) of relying apps revoked",
            $"{links} pending address confirmation link(s) withdrawn",
            $"{notices} logout notice(s) queued for relying apps with a back-channel logout URI",
        ];
        audit.Record(AuditKinds.SignedOutEverywhere, null, Detail(note, ["every member", .. changes]));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new MemberChangeResult(MemberChangeOutcome.Changed,
            "Every member is signed out; relying apps sign their members in again at the next refresh, and those with a back-channel "
            + "logout URI are told by the running service, which starts on them within BackchannelLogout:PollInterval.") { Changes = changes };
    }

    /// <summary>
    /// Ends every session and revokes every token of the member with the change, in one
    /// transaction: a member whose credentials were reset must not stay signed in anywhere.
    /// </summary>
    private async Task<MemberChangeResult> ChangeAndSignOutAsync(
        Member member, string auditKind, MemberNotice notice, OperatorNote note, List<string> changes, string summary, CancellationToken cancellationToken)
    {
        backchannel.EnsureSettingsAreValid();
        // The caller's, when it read what it changes under its locks (reset-mfa).
        await using var transaction = db.Database.CurrentTransaction ?? await db.Database.BeginTransactionAsync(cancellationToken);
        member.UpdatedAt = time.GetUtcNow();
        var (revokedTokens, revokedAuthorizations, _) = await sessions.EndAllAsync(member, sparedSessionId: null, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        changes.Add("signed out of every session");
        if (revokedTokens + revokedAuthorizations > 0)
        {
            changes.Add($"{revokedTokens} token(s) and {revokedAuthorizations} authorization(s) of relying apps revoked");
        }

        var recorded = audit.Record(auditKind, member.Id, Detail(note, changes));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        var told = await sessions.NotifyAppsAsync();
        if (told.Total > 0)
        {
            // Printed, not audited: the audit says what was ended; clients logout-notices follows what is still on its way.
            changes.Add(told.Retrying + told.GivenUp == 0
                ? $"{told.Delivered} relying app sign-in(s) told by logout token"
                : $"{told.Delivered} relying app sign-in(s) told by logout token, {told.Retrying + told.GivenUp} NOT reached yet (the running service retries; see clients logout-notices)");
            if (told.Dropped > 0)
            {
                changes.Add($"{told.Dropped} logout token(s) not sent: the app has no logout URI any more");
            }
        }

        return await NotifyAsync(member, notice, recorded, new MemberChangeResult(MemberChangeOutcome.Changed, summary) { Changes = changes }, cancellationToken);
    }

    /// <summary>Mails the member and completes the audit detail with whether that worked.</summary>
    private async Task<MemberChangeResult> NotifyAsync(Member member, MemberNotice notice, AuditEvent recorded, MemberChangeResult result, CancellationToken cancellationToken)
    {
        string mailOutcome;
        string? warning = null;
        if (member is not { Email: { } address, EmailVerifiedAt: not null })
        {
            mailOutcome = "no mail: the member has no verified address";
        }
        else
        {
            try
            {
                await mail.SendAsync(MemberNoticeMail.Create(address, notice, time.GetUtcNow(), society.Value), cancellationToken);
                mailOutcome = "member mailed";
            }
            // Broken mail settings only show when the first mail is sent; the change is made either way.
            catch (Exception e) when (e is MailNotSentException or OptionsValidationException)
            {
                // The mail sender logged the cause; this says whose notice it was.
                logger.LogWarning("The notice to member {MemberId} was not sent: {Reason}", member.Id, e.Message);
                mailOutcome = $"mail NOT sent: {e.Message}";
                warning = $"Warning: the change is done, but the mail to the member was not sent ({e.Message.TrimEnd('.')}). Tell the member another way.";
            }
        }

        audit.Complete(recorded, mailOutcome);
        // Not cancellable: the change is already stored, and its audit event should say whether the member knows.
        await db.SaveChangesAsync(CancellationToken.None);
        return result with { Changes = [.. result.Changes, mailOutcome], MailWarning = warning };
    }

    private Task<Member?> FindAsync(string userId, CancellationToken cancellationToken)
    {
        var normalized = Member.Normalize(userId);
        return db.Members.SingleOrDefaultAsync(m => m.NormalizedUserId == normalized, cancellationToken);
    }

    private static string Detail(OperatorNote note, IEnumerable<string> changes) =>
        AuditLog.Limited(note + "; " + string.Join("; ", changes));

}
