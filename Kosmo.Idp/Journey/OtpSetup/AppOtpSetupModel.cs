using Kosmo.Idp.Journey.Otp;
using Kosmo.Idp.Localization;
using Kosmo.Idp.Members;
using Kosmo.Idp.Members.Otp;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Persistence;
using Kosmo.Idp.Protocol;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;
using Microsoft.EntityFrameworkCore;
using Kosmo.Idp.Shared;

namespace Kosmo.Idp.Journey.OtpSetup;

/// <summary>
/// Manual 2-2, 2-3, 2-4: the QR code to scan (phone + PC), the same code as a PNG file (Edge's
/// extension reads a saved file), and the key as text behind "スキャンできませんか?" (a phone alone).
/// The device counts once the member typed a code from it.
/// </summary>
public sealed class AppOtpSetupModel(
    KosmoDbContext db, MemberJourney journey, TotpAuthenticator authenticator, AttemptThrottle throttle,
    SessionTermination sessions, Mail.Notices.MemberNotices notices, Confirm.RecentSignIn recentSignIn, AuditLog audit, TimeProvider time,
    IStringLocalizer<Strings> text, Account.AccountOutcome outcome) : JourneyPageModel(db, journey)
{
    protected override JourneyStep Step => JourneyStep.SetUpAppOtp;

    protected override bool ServesFinishedMembers(MemberSession session) => true;

    [BindProperty]
    public string? Code { get; set; }

    /// <summary>デバイス名.</summary>
    [BindProperty]
    public string? DeviceName { get; set; }

    /// <summary>全てのデバイスからサインアウトする.</summary>
    [BindProperty]
    public bool SignOutEverywhere { get; set; }

    public string Key { get; private set; } = "";

    /// <summary>Which key the form was shown with; a form showing a key put away since then is answered as such.</summary>
    [BindProperty]
    public Guid? ShownKey { get; set; }

    /// <summary>The key on the page now (the form's ShownKey).</summary>
    public Guid KeyId { get; private set; }

    /// <summary>The QR code's width in pixels, so the page shows it unscaled.</summary>
    public int QrSize { get; private set; }

    public string? Error { get; private set; }

    /// <summary>The member already has email codes, but the relying app asks for an app.</summary>
    public bool AppRequired => Demand.RequiresApp && Member.HasSecondFactor;

    /// <summary>This sign-in put away a setup left unfinished: the key shown before is not this one (ForgottenAtSignIn).</summary>
    public bool KeyReplaced => ForgottenAtSignIn.AppKeyWasReplaced(HttpContext, Member.Id);

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if ((await EnterAsync(cancellationToken) ?? ConfirmFirst()) is { } elsewhere)
        {
            return elsewhere;
        }

        await ShowAsync(cancellationToken);
        return Page();
    }

    /// <summary>The QR code as a PNG: shown in the page, and downloaded as a file with download=true.</summary>
    public async Task<IActionResult> OnGetQrAsync(bool download, CancellationToken cancellationToken)
    {
        if ((await EnterAsync(cancellationToken) ?? ConfirmFirst()) is { } elsewhere)
        {
            return elsewhere;
        }

        var device = await authenticator.PendingDeviceAsync(Member, cancellationToken);
        var png = authenticator.QrCodePng(authenticator.OtpAuthUri(Member, device));
        Response.Headers.CacheControl = "no-store";
        return download ? File(png, "image/png", "kosmo-web-otp.png") : File(png, "image/png");
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        // A copy of this form arriving after a pass that signed out every other session carries the
        // session version that pass ended; EnterAsync would take it for signed out (and its renewed
        // cookie would sign this browser out). Answered as the first was.
        if (MemberSession.From(User) is { } copy
            && await RepeatedForm.PassedMomentsAgoAsync(Db, copy.MemberId, copy, Request, time.GetUtcNow(), cancellationToken) is { Method: AuthenticationMethods.ByApp } earlier
            && earlier.Version != copy.Version)
        {
            return await AnswerAsBeforeAsync(copy, earlier, cancellationToken);
        }

        if ((await EnterAsync(cancellationToken) ?? ConfirmFirst()) is { } elsewhere)
        {
            return elsewhere;
        }

        // The checkbox posts "true" (and a hidden "false"); anything else counts as unchecked, rather
        // than being shown back to the checkbox, which cannot render it.
        if (ModelState.GetFieldValidationState(nameof(SignOutEverywhere)) == Microsoft.AspNetCore.Mvc.ModelBinding.ModelValidationState.Invalid)
        {
            ModelState.Remove(nameof(SignOutEverywhere));
        }

        // The name is checked as saved, without the spaces around it (as a rename does). The key is looked
        // up (or a new one made) only for a page shown again: a form whose key another tab confirmed
        // meanwhile must not leave a fresh, never-used key behind.
        var typedName = DeviceName?.Trim() is { Length: > 0 } trimmed ? trimmed : null;
        if (typedName is not null && Members.Otp.TotpDevice.NameRefusal(typedName) is { } nameRefusal)
        {
            ModelState.AddModelError(nameof(DeviceName), text[nameRefusal]);
            return await ShownAgainAsync(cancellationToken);
        }

        if (OtpCodeInput.Normalize(Code) is not { } code)
        {
            ModelState.AddModelError(nameof(Code), text["Otp.Format"]);
            return await ShownAgainAsync(cancellationToken);
        }

        // One code at a time per member: codes sent in parallel are counted against the pause like any others.
        RepeatedForm.Pass? repeated = null;
        var setUpMeanwhile = false;
        var nameTaken = false;
        var (device, refusal) = await throttle.OneAttemptAtATimeAsync<(TotpDevice? Device, string? Refusal)>(AttemptThrottle.SecondFactorKey(Member.Id), async () =>
        {
            // This form a moment ago (a double click) set up the app: the same answer, not a wrong code.
            if (await RepeatedForm.PassedMomentsAgoAsync(Db, Member.Id, Session, Request, time.GetUtcNow(), cancellationToken) is { Method: AuthenticationMethods.ByApp } pass)
            {
                repeated = pass;
                return (null, null);
            }

            // The member's other tab confirmed the very key this page showed while this form waited for the
            // lock: the app is set up, so this form goes on as one sent a moment later would.
            if (ShownKey is { } shownKey && await Db.TotpDevices.AnyAsync(d => d.Id == shownKey && d.MemberId == Member.Id && d.ConfirmedAt != null, cancellationToken))
            {
                setUpMeanwhile = true;
                return (null, null);
            }

            // Under the lock: two setups at once cannot both take a name, and a copy of a form that
            // took it is answered above, not told its own name is taken.
            if (typedName is not null && await Members.Otp.TotpDevice.NameTakenAsync(Db, Member.Id, typedName, except: null, cancellationToken))
            {
                nameTaken = true;
                return (null, null);
            }

            if (await throttle.RemainingLockAsync(AttemptThrottle.SecondFactorKey(Member.Id), cancellationToken) is { } paused)
            {
                return (null, text["Otp.Paused", Wait.WholeMinutes(paused)].Value);
            }

            var pending = await authenticator.PendingDeviceAsync(Member, cancellationToken);
            if (ShownKey is { } shown && shown != pending.Id)
            {
                // A sign-in elsewhere put the key this page showed away (TotpAuthenticator.ForgetUnfinishedSetupsAsync):
                // the app holding it gives codes for no key of ours. Not a wrong code: the member did nothing wrong.
                return (null, text["OtpSetup.KeyReplaced"].Value);
            }

            var check = await authenticator.VerifyAsync(pending, code, cancellationToken);
            if (check == TotpCheck.AlreadyUsed)
            {
                return (null, text["Otp.AppUsed"].Value);
            }

            if (check == TotpCheck.Wrong && await authenticator.IsFromAReplacedKeyAsync(Member.Id, code, cancellationToken))
            {
                // The app holds the key shown before the member signed in again: not a wrong code.
                return (null, text["OtpSetup.KeyReplaced"].Value);
            }

            if (check == TotpCheck.Wrong)
            {
                var wait = await throttle.RecordFailureAsync(AttemptThrottle.SecondFactorKey(Member.Id), cancellationToken);
                audit.Record(wait is null ? AuditKinds.OtpFailed : AuditKinds.OtpLockedOut, Member.Id, "app setup");
                await Db.SaveChangesAsync(cancellationToken);
                return (null, wait is { } w ? text["Otp.Paused", Wait.WholeMinutes(w)].Value
                    : await throttle.WrongCodeMessageAsync(AttemptThrottle.SecondFactorKey(Member.Id), "OtpSetup.Wrong", text, cancellationToken));
            }

            // Saved under the lock, with the session that passed: a copy of this form waiting for the
            // lock then finds the app set up by this session (above), not a new pending key.
            var now = time.GetUtcNow();
            // Claimed in one statement before anything else changes: a sign-in elsewhere may put this
            // setup away at this moment (TotpAuthenticator.ForgetUnfinishedSetupsAsync), and a key
            // put away is never confirmed; one of the two wins, the other finds nothing to change.
            var name = string.IsNullOrWhiteSpace(DeviceName) ? null : DeviceName.Trim();
            var claimed = await Db.TotpDevices.Where(d => d.Id == pending.Id && d.ConfirmedAt == null && d.ReplacedAt == null)
                .ExecuteUpdateAsync(set => set.SetProperty(d => d.ConfirmedAt, now).SetProperty(d => d.Name, name), cancellationToken);
            if (claimed == 0)
            {
                return (null, text["OtpSetup.KeyReplaced"].Value);
            }

            pending.ConfirmedAt = now;
            pending.Name = name;
            Member.AppOtpEnabledAt ??= now;
            Member.UpdatedAt = now;
            audit.Record(AuditKinds.AppDeviceAdded, Member.Id, pending.Name is null ? "unnamed" : "named");
            if (SignOutEverywhere)
            {
                await sessions.EndAllAsync(Member, sparedSessionId: Session.Id, cancellationToken);
                audit.Record(AuditKinds.SignedOutEverywhere, Member.Id, "while adding an app");
            }

            await throttle.ClearAsync(AttemptThrottle.SecondFactorKey(Member.Id), cancellationToken);
            RepeatedForm.Remember(Member, Session, Request, AuthenticationMethods.ByApp, now);
            await Db.SaveChangesAsync(cancellationToken);
            return (pending, null);
        }, cancellationToken);
        if (repeated is { } passed)
        {
            return await AnswerAsBeforeAsync(Session, passed, cancellationToken);
        }

        if (setUpMeanwhile)
        {
            // Computed as this request found the member: the setup step again (which, with the cookie the other
            // tab's answer left in the browser, moves on), or the account page when another app was being added.
            BrowserCookieKept.ForThisAnswer(HttpContext);
            var onward = MemberJourney.UrlOf(NextStep, ReturnUrl);
            return LocalRedirect(onward == "/account" ? outcome.Url(Member.Id, "device-added") : onward);
        }

        if (nameTaken)
        {
            ModelState.AddModelError(nameof(DeviceName), text["OtpSetup.NameTaken"]);
            return await ShownAgainAsync(cancellationToken);
        }

        if (device is null)
        {
            Error = refusal;
            return await ShownAgainAsync(cancellationToken);
        }

        await sessions.NotifyAppsAsync();
        ForgottenAtSignIn.AppKeyDone(HttpContext);
        // This browser stays signed in, under the new session version when the others were signed out.
        Session = Session.WithSecondFactor(device.ConfirmedAt!.Value, AuthenticationMethods.ByApp) with { Version = Member.SessionVersion };
        await Session.SignInAsync(HttpContext);
        // A new authenticator is announced on another channel (NIST SP 800-63B 6.1.2.1), so an app
        // added by someone else is noticed. After the cookie: the device is added whatever the mail does.
        await notices.QueueAsync(Member, Mail.Notices.MemberNotice.AuthenticatorAdded);

        // Added from the account page: back there, saying so (as a removal does).
        var next = MemberJourney.UrlOf(NextStep, ReturnUrl);
        return LocalRedirect(next == "/account" ? outcome.Url(Member.Id, "device-added") : next);
    }

    /// <summary>A copy of this form that already passed (RepeatedForm): the session it signed in, and on as it went.</summary>
    private async Task<IActionResult> AnswerAsBeforeAsync(MemberSession copy, RepeatedForm.Pass earlier, CancellationToken cancellationToken)
    {
        // The member as the first request left it (already loaded by EnterAsync, perhaps before that
        // request saved): the next step is computed from it.
        await TakeAsync(copy, cancellationToken);
        await Db.Entry(Member).ReloadAsync(cancellationToken);
        Session = copy.WithSecondFactor(earlier.At, AuthenticationMethods.ByApp) with { Version = earlier.Version };
        await Session.SignInAsync(HttpContext);
        return Continue();
    }

    /// <summary>戻る: during first login, back to the method choice (the member may take email instead).</summary>
    public async Task<IActionResult> OnPostBackAsync(CancellationToken cancellationToken)
    {
        if (await EnterAsync(cancellationToken) is { } elsewhere)
        {
            return elsewhere;
        }

        if (Member.ReopenMethodChoice(time.GetUtcNow()))
        {
            await Db.SaveChangesAsync(cancellationToken);
            return Continue();
        }

        // Back to the account page; a relying app that insists on an app cannot be returned to without one.
        return LocalRedirect(Demand.RequiresApp ? "/" : MemberJourney.UrlOf(JourneyStep.Done, ReturnUrl));
    }

    /// <summary>
    /// Another authenticator for a member who has one already: only from a recent sign-in, whether
    /// the account page or a relying app's demand for an app led here.
    /// </summary>
    private IActionResult? ConfirmFirst() =>
        !Member.HasSecondFactor || recentSignIn.Holds(Session) ? null
        : LocalRedirect(Confirm.RecentSignIn.ConfirmUrl(Request.Path + Request.QueryString));

    private async Task<IActionResult> ShownAgainAsync(CancellationToken cancellationToken)
    {
        await ShowAsync(cancellationToken);
        return Page();
    }

    private async Task ShowAsync(CancellationToken cancellationToken)
    {
        var device = await authenticator.PendingDeviceAsync(Member, cancellationToken);
        KeyId = device.Id;
        Key = authenticator.KeyForDisplay(device);
        QrSize = authenticator.QrCodeSize(authenticator.OtpAuthUri(Member, device));
    }
}
