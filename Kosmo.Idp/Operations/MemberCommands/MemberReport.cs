using Kosmo.Idp.Members;
using Kosmo.Idp.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Kosmo.Idp.Operations.MemberCommands;

public sealed record MemberReportLine(string Label, string Value);

/// <summary>
/// A member's state as an operator on the phone with the member needs it: where they are in the
/// journey, why they cannot sign in, what MFA they have. Never a secret: no hash, OTP secret or code.
/// </summary>
public sealed class MemberReport(KosmoDbContext db, Microsoft.Extensions.Options.IOptions<Members.Otp.OtpOptions> otp, TimeProvider time)
{
    /// <summary>Null when no member has that user ID.</summary>
    public async Task<IReadOnlyList<MemberReportLine>?> DescribeAsync(string userId, CancellationToken cancellationToken)
    {
        var normalized = Member.Normalize(userId);
        var member = await db.Members.AsNoTracking().SingleOrDefaultAsync(m => m.NormalizedUserId == normalized, cancellationToken);
        if (member is null)
        {
            return null;
        }

        var throttle = await db.SignInThrottles.AsNoTracking().SingleOrDefaultAsync(t => t.NormalizedUserId == normalized, cancellationToken);
        var devices = await db.TotpDevices.AsNoTracking().Where(d => d.MemberId == member.Id).OrderBy(d => d.CreatedAt).ToListAsync(cancellationToken);
        var unusedCodes = await db.RecoveryCodes.CountAsync(c => c.MemberId == member.Id && c.UsedAt == null, cancellationToken);
        var codePause = await db.SignInThrottles.FindAsync([Journey.AttemptThrottle.SecondFactorKey(member.Id)], cancellationToken);
        var mailedCodes = await db.EmailOtpChallenges.AsNoTracking().SingleOrDefaultAsync(c => c.MemberId == member.Id, cancellationToken);
        var notices = await db.PendingNotices.AsNoTracking().Where(n => n.MemberId == member.Id).OrderBy(n => n.HappenedAt).ToListAsync(cancellationToken);
        var now = time.GetUtcNow();

        var lines = new List<MemberReportLine>
        {
            new("User ID", member.UserId),
            new("Name", member.DisplayName ?? "-"),
            new("記号/番号", $"{member.Symbol ?? "-"} / {member.Number ?? "-"}"),
            new("Birthdate", OperatorText.Date(member.BirthDate)),
            new("Joined", OperatorText.Date(member.JoinedOn)),
            new("Created", OperatorText.Time(member.CreatedAt)),
            new("Password", Password(member)),
            new("Last sign-ins", member.LastSignInAt is { } last
                ? $"{OperatorText.Time(last)} (before: {(member.PreviousSignInAt is { } previous ? OperatorText.Time(previous) : "none")})" : "never"),
            new("Account lock", member.IsLocked
                ? $"LOCKED since {OperatorText.Time(member.LockedAt)} ({member.LockReason?.ToString() ?? "reason not recorded"}); wrong birthdates {member.BirthDateFailures}"
                : $"not locked; wrong birthdates {member.BirthDateFailures}"),
            new("Sign-in lockout", SignInLockout(throttle, now)),
            new("Birthdate confirmed", member.BirthDateConfirmedAt is { } confirmed ? OperatorText.Time(confirmed)
                : member.BirthDate is null ? "not asked (no birthdate on record)" : "not yet"),
            new("Terms accepted", member.AcceptedTermsVersion is { } version ? $"version {version} at {OperatorText.Time(member.TermsAcceptedAt)}" : "not yet"),
            new("Email", member.Email is { } email ? $"{email} (verified {OperatorText.Time(member.EmailVerifiedAt)})"
                : member.RosterEmail is { } suggested ? $"none verified (roster suggests {suggested})" : "none"),
            new("OTP method", member.OtpMethod?.ToString() ?? "not chosen"),
            new("Email OTP", member.EmailOtpEnabledAt is { } emailOtp ? $"enabled {OperatorText.Time(emailOtp)}" : "not enabled"),
            new("Codes by mail", mailedCodes?.HoldsCodesBack(now, otp.Value) == true
                ? $"HELD BACK until {OperatorText.Time(mailedCodes.WindowStartedAt.AddHours(1))} ({mailedCodes.Failures} wrong codes, {mailedCodes.SendsInWindow} mails this hour)"
                : "not held back"),
            new("App/recovery code pause", Members.SignInLockout.RemainingLock(codePause, now) is not null
                ? $"PAUSED until {OperatorText.Time(codePause!.LockedUntil)} after {codePause.FailedCount} wrong codes" : "none"),
            new("App OTP", member.AppOtpEnabledAt is { } appOtp ? $"enabled {OperatorText.Time(appOtp)}" : "not enabled"),
            new("App devices", $"{devices.Count(d => d.ConfirmedAt is not null)} confirmed, {devices.Count(d => d.ConfirmedAt is null && d.ReplacedAt is null)} not confirmed"),
        };
        lines.AddRange(devices.Select(d => new MemberReportLine("",
            $"- {(string.IsNullOrEmpty(d.Name) ? "(no name)" : d.Name)}: added {OperatorText.Time(d.CreatedAt)}, "
            + (d.ConfirmedAt is { } at ? $"confirmed {OperatorText.Time(at)}"
                : d.ReplacedAt is { } replaced ? $"setup put away by a new sign-in {OperatorText.Time(replaced)} (never usable)" : "not confirmed")
            + $", last used {OperatorText.Time(d.LastUsedAt)}")));
        lines.Add(new("Recovery codes", $"{unusedCodes} unused; " + (member.RecoveryCodesSavedAt is { } saved ? $"saved {OperatorText.Time(saved)}" : "not saved")));
        // "I was never told": a notice SendGrid keeps refusing waits here, with SendGrid's answer.
        lines.Add(new("Notices waiting", notices.Count == 0 ? "none" : $"{notices.Count} (mailed again until Mail:Notices:RetryFor)"));
        lines.AddRange(notices.Select(n => new MemberReportLine("",
            $"- {n.Notice} of {OperatorText.Time(n.HappenedAt)} to {n.To}: {n.Attempts} attempt(s), next {OperatorText.Time(n.NextAttemptAt)}"
            + (n.LastFailure is { } failure ? $", last failure: {failure}" : ""))));
        lines.Add(new("Session version", member.SessionVersion.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return lines;
    }

    private static string Password(Member member) => member switch
    {
        { PasswordHash: null } => "initial (rule 記号+番号+生年月日), must be changed at login",
        { PasswordMustChange: true } => "initial (issued on the credentials notice), must be changed at login",
        { PasswordChangedAt: { } changed } => $"chosen by the member {OperatorText.Time(changed)}",
        _ => "chosen by the member (time not recorded)",
    };

    private static string SignInLockout(SignInThrottle? throttle, DateTimeOffset now) => throttle switch
    {
        null => "none",
        _ when Members.SignInLockout.RemainingLock(throttle, now) is not null =>
            $"LOCKED until {OperatorText.Time(throttle.LockedUntil)} after {throttle.FailedCount} wrong passwords",
        _ => $"not locked; {throttle.FailedCount} wrong passwords, last {OperatorText.Time(throttle.LastFailureAt)}",
    };
}
