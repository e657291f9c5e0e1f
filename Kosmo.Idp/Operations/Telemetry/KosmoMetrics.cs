using System.Diagnostics.Metrics;
using Kosmo.Idp.Operations.Audit;

namespace Kosmo.Idp.Operations.Telemetry;

/// <summary>
/// The service's own counters (meter <c>Kosmo.Idp</c>). Sign-in and one-time-password counts are
/// derived from audit events in <see cref="Observe"/>, so every place that records an event is
/// counted without being changed. One service per process, as in production: two hosts in one
/// process (some tests) see each other's measurements on /metrics, since OpenTelemetry's listener
/// is process-wide (open-telemetry/opentelemetry-dotnet#6412); MetricsCountingTests keeps to one.
/// </summary>
public sealed class KosmoMetrics
{
    public const string MeterName = "Kosmo.Idp";

    private readonly Counter<long> _signIns;
    private readonly Counter<long> _otp;
    private readonly Counter<long> _mailsFailed;
    private readonly Counter<long> _journeySteps;
    private readonly Counter<long> _accountLocks;
    private readonly Counter<long> _backchannelLogouts;

    public KosmoMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _signIns = meter.CreateCounter<long>("kosmo.sign_ins", "{attempt}",
            "Password sign-in attempts, by outcome: succeeded, failed, locked_out (this failure locked the user ID), refused_locked_out (a password typed while the user ID is paused, at sign-in or on a signed-in page), refused_locked (the account is locked).");
        _otp = meter.CreateCounter<long>("kosmo.otp", "{event}",
            "One-time-password events, by method (email, app, recovery) and outcome (sent, not_sent, verified, failed, locked_out).");
        _mailsFailed = meter.CreateCounter<long>("kosmo.mails.failed", "{mail}",
            "Mails the provider did not accept or could not be reached for; the member was asked to retry.");
        _journeySteps = meter.CreateCounter<long>("kosmo.journey.steps_completed", "{step}",
            "First-login journey steps completed, by step (app_setup, recovery_codes and email also when done again from the account page).");
        _accountLocks = meter.CreateCounter<long>("kosmo.account.locks", "{lock}",
            "Accounts locked until an operator unlocks them (too many wrong birthdates).");
        _backchannelLogouts = meter.CreateCounter<long>("kosmo.backchannel_logouts", "{token}",
            "Logout tokens for relying apps, by outcome: delivered, retrying (the app did not accept it; sent again later), given_up, dropped (the app has no logout URI any more).");
    }

    /// <summary>Counts what an audit event says happened; kinds that are not counted are ignored.</summary>
    public void Observe(string kind, string? detail)
    {
        switch (kind)
        {
            case AuditKinds.SignInSucceeded: SignIn("succeeded"); break;
            case AuditKinds.SignInFailed: SignIn("failed"); break;
            case AuditKinds.SignInLockedOut: SignIn("locked_out"); break;
            case AuditKinds.SignInRefusedLocked: SignIn("refused_locked"); break;

            // The email code's sender writes "email"; a mail that failed is always an email code.
            case AuditKinds.OtpSent: Otp("email", "sent"); break;
            case AuditKinds.OtpNotSent: Otp("email", "not_sent"); break;
            case AuditKinds.OtpVerified: Otp(OtpMethodOf(detail), "verified"); break;
            case AuditKinds.OtpFailed: Otp(OtpMethodOf(detail), "failed"); break;
            case AuditKinds.OtpAlreadyUsed: Otp(OtpMethodOf(detail), "already_used"); break;
            case AuditKinds.OtpLockedOut: Otp(OtpMethodOf(detail), "locked_out"); break;

            case AuditKinds.AccountLocked: _accountLocks.Add(1); break;

            case AuditKinds.BirthDateConfirmed: Step("birthdate"); break;
            case AuditKinds.TermsAccepted: Step("terms"); break;
            case AuditKinds.EmailVerified: Step("email"); break;
            // Not the code page's "choose again", which undoes a choice.
            case AuditKinds.OtpMethodChosen when detail is "Email" or "App": Step("otp_method"); break;
            case AuditKinds.AppDeviceAdded: Step("app_setup"); break;
            case AuditKinds.RecoveryCodesIssued: Step("recovery_codes"); break;
            case AuditKinds.PasswordChanged when detail == "first login": Step("new_password"); break;
        }
    }

    /// <summary>
    /// A password typed while the user ID is locked out, refused unchecked. Not an audit event (a
    /// guessing script would fill the table), but counted, so continued guessing shows on a dashboard.
    /// </summary>
    public void SignInRefusedWhileLockedOut() => SignIn("refused_locked_out");

    /// <summary>One attempt to tell a relying app that a member's sign-in there ended, by its outcome.</summary>
    public void BackchannelLogout(string outcome) => _backchannelLogouts.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>A mail that was not sent (<see cref="Mail.MailNotSentException"/>).</summary>
    public void MailFailed() => _mailsFailed.Add(1);

    /// <summary>
    /// The method named in an OTP event's detail: the challenge page writes "email: Wrong",
    /// "app", "recovery code" or an authentication method ("email", "app", "recovery");
    /// the app setup page writes "app setup". Anything else is "other", never free text.
    /// </summary>
    internal static string OtpMethodOf(string? detail) =>
        detail is null ? "other"
        : detail.StartsWith("email", StringComparison.OrdinalIgnoreCase) ? "email"
        : detail.StartsWith("app", StringComparison.OrdinalIgnoreCase) ? "app"
        : detail.StartsWith("recovery", StringComparison.OrdinalIgnoreCase) ? "recovery"
        : "other";

    private void SignIn(string outcome) => _signIns.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    private void Otp(string method, string outcome) =>
        _otp.Add(1, new KeyValuePair<string, object?>("method", method), new KeyValuePair<string, object?>("outcome", outcome));

    private void Step(string step) => _journeySteps.Add(1, new KeyValuePair<string, object?>("step", step));
}
