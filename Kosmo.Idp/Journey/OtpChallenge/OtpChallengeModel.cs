using Kosmo.Idp.Journey.Email;
using Kosmo.Idp.Journey.Otp;
using Kosmo.Idp.Localization;
using Kosmo.Idp.Members;
using Kosmo.Idp.Members.Otp;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Persistence;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using Kosmo.Idp.Shared;

namespace Kosmo.Idp.Journey.OtpChallenge;

/// <summary>
/// Manual 2-1 step 3 and every later login: the one-time password after the password, by mail,
/// by app, or a recovery code. A member with both methods may switch between them.
/// </summary>
public sealed class OtpChallengeModel(
    KosmoDbContext db, MemberJourney journey, EmailOtpSender email, TotpAuthenticator app, RecoveryCodes recovery,
    AttemptThrottle throttle, Confirm.RecentSignIn recentSignIn, AuditLog audit, TimeProvider time, IOptions<OtpOptions> options, IStringLocalizer<Strings> text,
    Mail.Notices.MemberNotices notices) : JourneyPageModel(db, journey), IReturnsToAnApp
{
    protected override JourneyStep Step => JourneyStep.OtpChallenge;

    /// <summary>Also the second half of 本人確認, for a member whose session is otherwise complete.</summary>
    protected override bool ServesFinishedMembers(MemberSession session) => recentSignIn.IsConfirming(session);

    /// <summary>
    /// The member is confirming who they are before an account change (the password was just typed
    /// again). Read once, on entry: a window that closes while the code is being checked must not
    /// turn the code the member typed for 本人確認 into a mere change of the session's factor.
    /// </summary>
    public bool Confirming { get; private set; }

    /// <summary>email, app or recovery.</summary>
    [BindProperty(SupportsGet = true)]
    public string? Mode { get; set; }

    IEnumerable<KeyValuePair<string, string?>> IReturnsToAnApp.PageState => [new("mode", Mode)];

    [BindProperty]
    public string? Code { get; set; }

    /// <summary>Why the typed code was refused: shown by the code field, which is marked invalid.</summary>
    public string? Error { get; private set; }

    /// <summary>Why no code mail went out (cooldown, limits, mail provider down): shown by 再送信, not by the field.</summary>
    public string? SendError { get; private set; }

    public string? Notice { get; private set; }

    public string? MaskedEmail { get; private set; }

    public bool EmailAvailable { get; private set; }

    public bool AppAvailable { get; private set; }

    public bool RecoveryAvailable { get; private set; }

    /// <summary>The relying app asked for an authenticator app: no other way is offered.</summary>
    public bool AppRequired { get; private set; }

    /// <summary>
    /// Email codes were chosen and none typed yet (first login, or after an operator's reset because the
    /// mailbox was lost): the member may still go back and choose the app, as the app's setup page allows.
    /// </summary>
    public bool MayChooseAgain { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (await EnterAsync(cancellationToken) is { } elsewhere)
        {
            return elsewhere;
        }

        await DescribeAsync(cancellationToken);
        if (Mode == "email")
        {
            // The mail goes out when the page is first shown (manual 2-1: the code "arrives");
            // a reload within the code's life sends nothing new.
            // A code that met too many wrong guesses is dead too: the attempt says at once how long codes are held back.
            if (await LiveCodeMinutesAsync(cancellationToken) is { } left)
            {
                // Signed out and in again, as the manual says to: no new mail while the last code
                // lives, so the member is told that the mail already received is the one to use.
                Notice = text["Otp.EarlierCodeStillWorks", MaskedEmail!, left];
            }
            else if (RequestOrigin.IsOpenedByAnotherSite(Request))
            {
                // Another site could open this page again and again: each visit would mail the member
                // and spend the hour's sends. The member asks for the mail with 再送信 instead.
                Notice = text["Otp.SendOnRequest", MaskedEmail!];
            }
            else
            {
                await SendAsync(cancellationToken);
            }
        }

        return Page();
    }

    public async Task<IActionResult> OnPostResendAsync(CancellationToken cancellationToken)
    {
        if (await EnterAsync(cancellationToken) is { } elsewhere)
        {
            return elsewhere;
        }

        await DescribeAsync(cancellationToken);
        if (!EmailAvailable)
        {
            // A member without email codes (or one an app asked an authenticator of) is mailed nothing
            // they could type here; the page stays as it was.
            return Page();
        }

        Mode = "email";
        // "Sent again, the earlier code no longer works" only where there was an earlier code: not after a page
        // that mailed nothing (opened by another site), nor after the last code was used.
        var replacesACode = await email.CurrentAsync(Member.Id, cancellationToken) is { CodeHash.Length: > 0 };
        await SendAsync(cancellationToken, resent: replacesACode);
        return Page();
    }

    public async Task<IActionResult> OnPostChooseAgainAsync(CancellationToken cancellationToken)
    {
        if (await EnterAsync(cancellationToken) is { } elsewhere)
        {
            return elsewhere;
        }

        // A code typed in another tab meanwhile made email the member's method: changing it is the account page's.
        if (Member.ReopenMethodChoice(time.GetUtcNow()))
        {
            audit.Record(AuditKinds.OtpMethodChosen, Member.Id, "none: choosing again from the code page");
            await Db.SaveChangesAsync(cancellationToken);
        }

        return Continue();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (await EnterAsync(cancellationToken) is { } elsewhere)
        {
            return elsewhere;
        }

        await DescribeAsync(cancellationToken);
        // One code at a time per member: codes sent in parallel are counted against the pause like any others.
        var answer = await throttle.OneAttemptAtATimeAsync(AttemptThrottle.SecondFactorKey(Member.Id), async () =>
        {
            // A code form's pass always names its factor.
            if (await RepeatedForm.PassedMomentsAgoAsync(Db, Member.Id, Session, Request, time.GetUtcNow(), cancellationToken) is { Method: { } method } passed)
            {
                // The member as the first request left it: the next step is computed from it.
                await Db.Entry(Member).ReloadAsync(cancellationToken);
                return await SignedInAsync(method, passed.At);
            }

            return Mode switch
            {
                "app" => await VerifyAppAsync(cancellationToken),
                "recovery" => await VerifyRecoveryAsync(cancellationToken),
                _ => await VerifyEmailAsync(cancellationToken),
            };
        }, cancellationToken);
        if (_pauseToWarnOf)
        {
            // Once the pause is committed, so the background sender finds the notice at once.
            await notices.QueueAsync(Member, Mail.Notices.MemberNotice.WrongOneTimePasswords);
        }

        return answer;
    }

    private async Task<IActionResult> VerifyEmailAsync(CancellationToken cancellationToken)
    {
        if (OtpCodeInput.Normalize(Code) is not { } code)
        {
            ModelState.AddModelError(nameof(Code), text["Otp.Format"]);
            return Page();
        }

        var check = await email.VerifyAsync(Member, code, cancellationToken);
        if (check.Status == OtpCheckStatus.Accepted)
        {
            Member.EmailOtpEnabledAt ??= time.GetUtcNow();
            return await CompleteAsync(AuthenticationMethods.ByEmail, cancellationToken);
        }

        // As for app codes: the try that reaches the limit is the lockout; tries refused after it are no new failure.
        if (check.ReachedLimit)
        {
            audit.Record(AuditKinds.OtpLockedOut, Member.Id, await PauseDetailAsync("email", cancellationToken));
        }
        else if (check.Status != OtpCheckStatus.TooManyFailures)
        {
            audit.Record(AuditKinds.OtpFailed, Member.Id, "email: " + check.Status);
        }

        await Db.SaveChangesAsync(cancellationToken);
        Error = check.Status switch
        {
            OtpCheckStatus.Wrong => text["Otp.Wrong", check.TriesLeft],
            OtpCheckStatus.Expired => text["Otp.Expired"],
            OtpCheckStatus.TooManyFailures => Sentences.Join(text["Otp.TooManyFailures", await MinutesUntilCodesAsync(cancellationToken)], OtherWay()),
            _ => text["Otp.NoCode"],
        };
        return Page();
    }

    private async Task<IActionResult> VerifyAppAsync(CancellationToken cancellationToken)
    {
        if (OtpCodeInput.Normalize(Code) is not { } code)
        {
            ModelState.AddModelError(nameof(Code), text["Otp.Format"]);
            return Page();
        }

        if (await LockedAsync(cancellationToken))
        {
            return Page();
        }

        switch (await app.VerifyAnyAsync(Member.Id, code, cancellationToken))
        {
            case TotpCheck.Accepted:
                return await CompleteAsync(AuthenticationMethods.ByApp, cancellationToken);
            case TotpCheck.AlreadyUsed:
                // The right code, a second time: not a guess, so not counted against the member.
                audit.Record(AuditKinds.OtpAlreadyUsed, Member.Id, "app");
                await Db.SaveChangesAsync(cancellationToken);
                Error = text["Otp.AppUsed"];
                return Page();
        }

        await FailAsync("app", cancellationToken);
        return Page();
    }

    private async Task<IActionResult> VerifyRecoveryAsync(CancellationToken cancellationToken)
    {
        // Nothing typed, or not the shape of a code: said by the field, and no try is used up.
        if (RecoveryCodes.Normalize(Code) is null)
        {
            ModelState.AddModelError(nameof(Code), text["Otp.RecoveryFormat"]);
            return Page();
        }

        if (await LockedAsync(cancellationToken))
        {
            return Page();
        }

        if (await recovery.RedeemAsync(Member.Id, Code, cancellationToken))
        {
            var left = await recovery.UnusedAsync(Member.Id, cancellationToken);
            audit.Record(AuditKinds.RecoveryCodeUsed, Member.Id, $"{left} left");
            if (left <= 2)
            {
                // Running out: the member is shown a new set before going on.
                Recovery.AskedRecoveryCodes.Ask(Member, Session, time.GetUtcNow());
            }

            var signedIn = await CompleteAsync(AuthenticationMethods.ByRecoveryCode, cancellationToken);
            // A code from a paper someone else may have found: the member hears of every use, after the
            // sign-in it paid for is saved, and even when the browser stops waiting for the answer.
            await notices.QueueAsync(Member, Mail.Notices.MemberNotice.SignedInWithRecoveryCode);
            return signedIn;
        }

        await FailAsync("recovery code", cancellationToken);
        return Page();
    }

    private async Task<bool> LockedAsync(CancellationToken cancellationToken)
    {
        if (await throttle.RemainingLockAsync(AttemptThrottle.SecondFactorKey(Member.Id), cancellationToken) is { } remaining)
        {
            Error = text["Otp.Paused", Wait.WholeMinutes(remaining)];
            return true;
        }

        return false;
    }

    private async Task FailAsync(string method, CancellationToken cancellationToken)
    {
        var paused = await throttle.RecordFailureAsync(AttemptThrottle.SecondFactorKey(Member.Id), cancellationToken);
        audit.Record(paused is null ? AuditKinds.OtpFailed : AuditKinds.OtpLockedOut, Member.Id, paused is null ? method : await PauseDetailAsync(method, cancellationToken));
        await Db.SaveChangesAsync(cancellationToken);
        Error = paused is { } wait ? text["Otp.Paused", Wait.WholeMinutes(wait)]
            : await throttle.WrongCodeMessageAsync(AttemptThrottle.SecondFactorKey(Member.Id), Mode == "recovery" ? "Otp.RecoveryWrong" : "Otp.AppWrong", text, cancellationToken);
    }

    // Said in the pause's audit event, which is how the next pause knows when the member was last warned.
    private const string MemberWarned = "; the member is mailed a warning";

    // Set under the code lock, acted on once it is released (the pause committed).
    private bool _pauseToWarnOf;

    /// <summary>
    /// Wrong codes up to a pause, after the right password: the member hears of it, as someone else may
    /// know the password. At most once an hour, however often the pauses come: wrong codes must not
    /// flood the member's mailbox.
    /// </summary>
    private async Task<string> PauseDetailAsync(string method, CancellationToken cancellationToken)
    {
        var hourAgo = time.GetUtcNow().AddHours(-1);
        _pauseToWarnOf = Member.Email is not null && !await Db.AuditEvents.AnyAsync(a => a.MemberId == Member.Id && a.Kind == AuditKinds.OtpLockedOut
            && a.OccurredAt > hourAgo && a.Detail != null && a.Detail.EndsWith(MemberWarned), cancellationToken);
        return _pauseToWarnOf ? method + MemberWarned : method;
    }

    private async Task<IActionResult> CompleteAsync(string method, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await throttle.ClearAsync(AttemptThrottle.SecondFactorKey(Member.Id), cancellationToken);
        audit.Record(AuditKinds.OtpVerified, Member.Id, method);
        Member.UpdatedAt = now;
        RepeatedForm.Remember(Member, Session, Request, method, now);
        await Db.SaveChangesAsync(cancellationToken);
        return await SignedInAsync(method, now);
    }

    private async Task<IActionResult> SignedInAsync(string method, DateTimeOffset at)
    {
        Session = Confirming ? Session.ConfirmedAgain(at, method) : Session.WithSecondFactor(at, method);
        await Session.SignInAsync(HttpContext);
        return Continue();
    }

    /// <param name="resent">再送信 was pressed: the new code replaces the one mailed before, which the page says.</param>
    private async Task SendAsync(CancellationToken cancellationToken, bool resent = false)
    {
        var outcome = await email.SendAsync(Member, cancellationToken);
        switch (outcome.Status)
        {
            case OtpSendStatus.Sent:
                Notice = text[resent ? "Otp.Resent" : "Otp.Sent", MaskedEmail!, (int)options.Value.EmailCodeLifetime.TotalMinutes];
                break;
            case OtpSendStatus.Unconfirmed:
                Notice = text["Otp.Unconfirmed", MaskedEmail!, (int)options.Value.EmailCodeLifetime.TotalMinutes];
                break;
            case OtpSendStatus.CoolingDown:
                // The code mailed a moment ago is the answer: say that it still works, and for how long.
                var coolingDown = text["Otp.CoolingDown", Wait.WholeSeconds(outcome.RetryAfter!.Value)];
                SendError = await LiveCodeMinutesAsync(cancellationToken) is { } live
                    ? Sentences.Join(coolingDown, text["Otp.LastCodeStillWorks", live])
                    : coolingDown;
                break;
            case OtpSendStatus.TooManyFailures:
                SendError = Sentences.Join(text["Otp.TooManyFailuresWait", Wait.WholeMinutes(outcome.RetryAfter!.Value)], OtherWay());
                break;
            case OtpSendStatus.HourlyLimitReached:
                SendError = Sentences.Join(text["Otp.HourlyLimit", Wait.WholeMinutes(outcome.RetryAfter!.Value)],
                    await LiveCodeMinutesAsync(cancellationToken) is { } left ? text["Otp.LastCodeStillWorks", left] : OtherWay());
                break;
            default:
                SendError = text["Otp.MailUnavailable"];
                break;
        }
    }

    /// <summary>Minutes the last mailed code still works (not expired, not killed by wrong tries); null when it does not.</summary>
    private async Task<int?> LiveCodeMinutesAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return await email.CurrentAsync(Member.Id, cancellationToken) is { CodeHash.Length: > 0 } current
            && current.ExpiresAt > now && current.Failures < options.Value.EmailMaximumFailures
            ? Wait.WholeMinutes(current.ExpiresAt - now)
            : null;
    }

    // While codes by mail are held back: the member's app, a recovery code if one is left, else the society.
    private string OtherWay() =>
        AppAvailable ? text["Otp.OrApp"] : RecoveryAvailable ? text["Otp.OrRecoveryCode"] : text["Otp.OrAskTheSociety"];

    private async Task<int> MinutesUntilCodesAsync(CancellationToken cancellationToken) =>
        await email.CurrentAsync(Member.Id, cancellationToken) is { } current
            ? Wait.WholeMinutes(current.WindowStartedAt.AddHours(1) - time.GetUtcNow())
            : 60;

    private async Task DescribeAsync(CancellationToken cancellationToken)
    {
        Confirming = recentSignIn.IsConfirming(Session);
        EmailAvailable = Member.Email is not null && (Member.EmailOtpEnabledAt is not null || Member.OtpMethod == OtpMethod.Email);
        AppAvailable = Member.AppOtpEnabledAt is not null;
        // Offered while unused codes exist, whether or not the member confirmed keeping the newest set.
        RecoveryAvailable = await recovery.UnusedAsync(Member.Id, cancellationToken) > 0;
        MaskedEmail = Member.Email is null ? null : EmailVerificationService.Mask(Member.Email);
        AppRequired = Demand.RequiresApp && AppAvailable;
        MayChooseAgain = !Member.HasSecondFactor && !Confirming;
        if (AppRequired)
        {
            EmailAvailable = RecoveryAvailable = false;
        }

        Mode = Mode switch
        {
            "app" when AppAvailable => "app",
            "recovery" when RecoveryAvailable => "recovery",
            "email" when EmailAvailable => "email",
            _ => AppAvailable && (Member.OtpMethod == OtpMethod.App || !EmailAvailable) ? "app" : "email",
        };
    }
}
