using Kosmo.Idp.Journey.Confirm;
using Kosmo.Idp.Journey.Email;
using Kosmo.Idp.Journey.NewPassword;
using Kosmo.Idp.Journey.Otp;
using Kosmo.Idp.Localization;
using Kosmo.Idp.Members;
using Kosmo.Idp.Members.Otp;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Persistence;
using Kosmo.Idp.Protocol;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Localization;

namespace Kosmo.Idp.Journey.Account;

/// <summary>
/// The member's own page on the provider: the society's services, sign-in methods and devices,
/// email address, password, and signing out other devices. Only for a member who finished the journey.
/// </summary>
public sealed class AccountModel(
    KosmoDbContext db, MemberJourney journey, MemberServices services, RecoveryCodes recoveryCodes,
    EmailVerificationService verifications, Mail.Notices.MemberNotices notices, PasswordPolicy policy, PasswordHashing hashing, PasswordRecheck passwords,
    SessionTermination sessions, RecentSignIn recentSignIn, AuditLog audit, TimeProvider time,
    IStringLocalizer<Strings> text, AccountOutcome outcome) : JourneyPageModel(db, journey)
{
    protected override JourneyStep Step => JourneyStep.Done;

    public IReadOnlyList<MemberService> Services { get; private set; } = [];

    public IReadOnlyList<TotpDevice> Devices { get; private set; } = [];

    public int RecoveryCodesLeft { get; private set; }

    public PasswordPolicyOptions Rules => policy.Rules;

    public string DisplayName => Member.DisplayName ?? Member.UserId;

    public string UserId => Member.UserId;

    public string? Email => Member.Email;

    /// <summary>
    /// The latest sign-in other than this session's, so that one the member did not make is noticed:
    /// the one before it, unless another device has signed in since (the password step counts, as
    /// it is what a stolen password passes). A second's leeway: the session keeps whole seconds.
    /// </summary>
    public DateTimeOffset? PreviousSignInAt =>
        Member.LastSignInAt is { } last && last > (Session.SignedInAt ?? Session.AuthenticatedAt) + TimeSpan.FromSeconds(1) ? last : Member.PreviousSignInAt;

    public bool EmailCodes => Member.EmailOtpEnabledAt is not null;

    /// <summary>Codes by mail can be turned on: the address was proven by its verification link.</summary>
    public bool CanTurnOnEmailCodes => !EmailCodes && Member.Email is not null && Member.EmailVerifiedAt is not null;

    /// <summary>Codes by mail can be turned off only while an app can still give a code.</summary>
    public bool CanTurnOffEmailCodes => EmailCodes && Member.AppOtpEnabledAt is not null;

    public string? PendingEmail { get; private set; }

    /// <summary>An address change whose link expired unopened.</summary>
    public string? ExpiredEmail { get; private set; }

    /// <summary>The sign-in is recent enough for changes to how the member signs in (see <see cref="RecentSignIn"/>).</summary>
    public bool SignInIsRecent => recentSignIn.Holds(Session);

    public string? Notice { get; private set; }

    public string? Error { get; private set; }

    /// <summary>The device whose new name was refused, and why: the message sits by that device's field.</summary>
    public (Guid Device, string Message)? RenameError { get; private set; }

    /// <summary>削除 was pressed on the only app (a page from before the other way went): its question is shown open, with the reason.</summary>
    public bool RemoveRefused { get; private set; }

    /// <summary>
    /// Why the member's only app cannot be removed (no codes by mail beside it), said where 削除 is
    /// pressed, before the member confirms: null when it can go.
    /// </summary>
    public string? LastMethodRefusal => IsTheOnlyWayToGetACode(Devices.Count)
        ? text[CanTurnOnEmailCodes ? "Account.LastMethodOrEmail" : "Account.LastMethod"].Value
        : null;

    /// <summary>Whether the one app of <paramref name="apps"/> is all the member has to get a code.</summary>
    private bool IsTheOnlyWayToGetACode(int apps) => apps == 1 && !EmailCodes;

    [BindProperty]
    public string? NewEmail { get; set; }

    [BindProperty]
    public string? CurrentPassword { get; set; }

    [BindProperty]
    public string? NewPassword { get; set; }

    [BindProperty]
    public string? Confirmation { get; set; }

    [BindProperty]
    public string? DeviceName { get; set; }

    public async Task<IActionResult> OnGetAsync(string? done, string? cancelled, string? proof, string? email, CancellationToken cancellationToken)
    {
        if (await EnterAsync(cancellationToken) is { } elsewhere)
        {
            return elsewhere;
        }

        if (done == "confirmed" && outcome.OpenAddress(Member.Id, email) is { } typed)
        {
            NewEmail = typed;
        }

        // "Confirmed, now make your change" claims nothing done, and comes back from the 本人確認 page.
        if (done is null or "confirmed" ? cancelled is not null : !outcome.Proves(Member.Id, done, cancelled, proof))
        {
            // Nothing this provider said: "confirmed" never withdraws anything, and the rest needs its proof.
            done = done == "confirmed" ? done : null;
            cancelled = null;
        }

        var key = done switch
        {
            "signed-out" => "Account.SignedOutOthers",
            "password" => "Account.PasswordChanged",
            "email-change-cancelled" => "Account.EmailChangeCancelled",
            "device-removed" => "Account.DeviceRemoved",
            "device-gone" => "Account.DeviceAlreadyRemoved",
            "device-added" => "Account.DeviceAdded.Notice",
            "device-renamed" => "Account.DeviceRenamed",
            "email-codes-on" => "Account.EmailCodesTurnedOn",
            "email-codes-off" => "Account.EmailCodesTurnedOff",
            "confirmed" when SignInIsRecent => "Account.Confirmed",
            _ => null,
        };
        Notice = key is null ? null : text[key, recentSignIn.Minutes].Value;
        if (done is "no-email-change" or "email-change-confirmed")
        {
            // Said with the address: a member pressing cancel may be stopping a change they never made,
            // and if it went through, they must learn it was not stopped.
            Notice = text[done == "no-email-change" ? "Account.NoEmailChangeToCancel" : "Account.EmailChangeAlreadyConfirmed", Member.Email ?? ""];
        }

        if (Notice is not null && cancelled == "email-change")
        {
            Notice = Localization.Sentences.Join(Notice, text["Account.PendingEmailChangeCancelled"]);
        }
        var page = await ShowAsync(cancellationToken);
        // Said while the link is out: a reload once it was opened (as the phone's page tells the
        // member to do) shows the new address in place, not a second "sent".
        if (done == "email-sent" && PendingEmail is not null)
        {
            Notice = text["Account.EmailSent", PendingEmail];
        }

        return page;
    }

    public async Task<IActionResult> OnPostRemoveDeviceAsync(Guid device, CancellationToken cancellationToken)
    {
        if ((await EnterAsync(cancellationToken) ?? ConfirmFirst()) is { } elsewhere)
        {
            return elsewhere;
        }

        await using var transaction = await HoldMemberAsync(cancellationToken);
        var confirmed = await Db.TotpDevices.Where(d => d.MemberId == Member.Id && d.ConfirmedAt != null).ToListAsync(cancellationToken);
        var removed = confirmed.FirstOrDefault(d => d.Id == device);
        if (removed is null)
        {
            // Removed meanwhile, in another tab or on another device.
            return Done("device-gone");
        }

        // The last way to get a code cannot go: the member would be locked out of their own account.
        if (IsTheOnlyWayToGetACode(confirmed.Count))
        {
            // Said by the app's 削除 (LastMethodRefusal), where codes by mail are offered as the other way out.
            RemoveRefused = true;
            return await ShowAsync(cancellationToken);
        }

        Db.TotpDevices.Remove(removed);
        if (confirmed.Count == 1)
        {
            Member.AppOtpEnabledAt = null;
            Member.OtpMethod = OtpMethod.Email;
        }

        Member.UpdatedAt = time.GetUtcNow();
        audit.Record(AuditKinds.AppDeviceRemoved, Member.Id, removed.Name is null ? "unnamed" : "named");
        await Db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await notices.QueueAsync(Member, Mail.Notices.MemberNotice.AuthenticatorRemoved);
        return Done("device-removed");
    }

    public async Task<IActionResult> OnPostRenameDeviceAsync(Guid device, CancellationToken cancellationToken)
    {
        if (await EnterAsync(cancellationToken) is { } elsewhere)
        {
            return elsewhere;
        }

        // Under the locks an app's setup takes too: two renames at once (two tabs), or a rename and a setup, cannot both take one name.
        await using var transaction = await HoldMemberAsync(cancellationToken);
        var renamed = await Db.TotpDevices.FirstOrDefaultAsync(d => d.Id == device && d.MemberId == Member.Id && d.ConfirmedAt != null, cancellationToken);
        if (renamed is null)
        {
            return Done("device-gone");
        }

        // A blank name would silently erase the one the member has, rather than rename the device.
        var name = DeviceName?.Trim();
        if ((string.IsNullOrEmpty(name) ? "Account.DeviceNameRequired" : Members.Otp.TotpDevice.NameRefusal(name)
            ?? (await Members.Otp.TotpDevice.NameTakenAsync(Db, Member.Id, name, except: renamed.Id, cancellationToken) ? "OtpSetup.NameTaken" : null)) is { } refusal)
        {
            RenameError = (renamed.Id, text[refusal]);
            return await ShowAsync(cancellationToken);
        }

        renamed.Name = name;
        // Not the name: audit details are written to the log as well, and a name may say whose device it is.
        audit.Record(AuditKinds.AppDeviceRenamed, Member.Id);
        await Db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Done("device-renamed");
    }

    /// <summary>
    /// A member with an app may also take codes by mail, or stop taking them ("a member with both
    /// may choose" at each login). Never the last way to get a code.
    /// </summary>
    public async Task<IActionResult> OnPostEmailCodesAsync(bool on, CancellationToken cancellationToken)
    {
        if ((await EnterAsync(cancellationToken) ?? ConfirmFirst()) is { } elsewhere)
        {
            return elsewhere;
        }

        await using var transaction = await HoldMemberAsync(cancellationToken);
        if (!on && EmailCodes && !CanTurnOffEmailCodes)
        {
            Error = text["Account.EmailCodesLastMethod"];
            return await ShowAsync(cancellationToken);
        }

        if (on ? !CanTurnOnEmailCodes : !CanTurnOffEmailCodes)
        {
            // Already so: the same button pressed in a second tab.
            return RedirectToPage();
        }

        var now = time.GetUtcNow();
        Member.EmailOtpEnabledAt = on ? now : null;
        if (!on && Member.OtpMethod == OtpMethod.Email)
        {
            Member.OtpMethod = OtpMethod.App;
        }

        Member.UpdatedAt = now;
        audit.Record(on ? AuditKinds.EmailCodesTurnedOn : AuditKinds.EmailCodesTurnedOff, Member.Id);
        await Db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await notices.QueueAsync(Member, on ? Mail.Notices.MemberNotice.EmailCodesOn : Mail.Notices.MemberNotice.EmailCodesOff);
        return Done(on ? "email-codes-on" : "email-codes-off");
    }

    public async Task<IActionResult> OnPostNewRecoveryCodesAsync(CancellationToken cancellationToken)
    {
        if ((await EnterAsync(cancellationToken) ?? ConfirmFirst()) is { } elsewhere)
        {
            return elsewhere;
        }

        // The journey shows a new set and comes back here; a set shown a moment ago is not the new one asked for.
        // Under the lock an operator's reset takes: an ask saved after the reset would outlive it.
        await using var transaction = await HoldMemberAsync(cancellationToken);
        if (!Member.HasSecondFactor)
        {
            return LocalRedirect(MemberJourney.UrlOf(NextStep, "/account"));
        }

        Recovery.AskedRecoveryCodes.Ask(Member, Session, time.GetUtcNow());
        await Db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Recovery.RecoveryCodesModel.ForgetShownSet(HttpContext);
        return LocalRedirect(MemberJourney.UrlOf(JourneyStep.SaveRecoveryCodes, "/account"));
    }

    public async Task<IActionResult> OnPostChangeEmailAsync(CancellationToken cancellationToken)
    {
        if ((await EnterAsync(cancellationToken) ?? ConfirmFirst(NewEmail)) is { } elsewhere)
        {
            return elsewhere;
        }

        if (EmailAddressInput.Normalize(NewEmail) is not { } address)
        {
            ModelState.AddModelError(nameof(NewEmail), text[string.IsNullOrWhiteSpace(NewEmail) ? "Email.Required" : "Email.Invalid"]);
            return await ShowAsync(cancellationToken);
        }

        // Mail providers treat the case of an address as the same mailbox; so does the member.
        if (string.Equals(Member.Email, address, StringComparison.OrdinalIgnoreCase))
        {
            ModelState.AddModelError(nameof(NewEmail), text["Account.EmailUnchanged"]);
            return await ShowAsync(cancellationToken);
        }

        var outcome = await verifications.SendAsync(Member, address, cancellationToken);
        if (outcome.Status == SendStatus.Sent)
        {
            // Post/redirect/get: a reload must not send again, nor find the address "already yours" once confirmed.
            return Done("email-sent");
        }

        Error = SendOutcomeText.For(outcome, text);
        return await ShowAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostChangePasswordAsync(CancellationToken cancellationToken)
    {
        if (await EnterAsync(cancellationToken) is { } elsewhere)
        {
            return await AfterTheSessionEndedAsync("password", elsewhere, cancellationToken);
        }

        var refusal = await passwords.RefusalAsync(Member, CurrentPassword, "Account.CurrentPasswordWrong", "current password on the account page", cancellationToken);
        if (refusal is not null)
        {
            ModelState.AddModelError(nameof(CurrentPassword), refusal);
        }

        // Every mistake of the form at once, not one per try; but "the same as the current password"
        // only once the current one is proven, or it would test guesses at it past the attempt limit.
        var password = NewPassword ?? "";
        var problems = NewPasswordForm.Check(policy, Member, password, Confirmation, ModelState, nameof(NewPassword), nameof(Confirmation), text,
            compareWithCurrent: refusal is null);
        if (refusal is not null || problems.Count > 0)
        {
            // Refused by the rules (with the current password proven): audited as on the journey's page.
            if (refusal is null)
            {
                audit.Record(AuditKinds.PasswordRefused, Member.Id, "account page: " + string.Join(", ", problems));
                await Db.SaveChangesAsync(cancellationToken);
            }

            return await ShowAsync(cancellationToken);
        }

        var now = time.GetUtcNow();
        Member.PasswordHash = hashing.Hash(password);
        Member.PasswordChangedAt = now;
        Member.UpdatedAt = now;
        audit.Record(AuditKinds.PasswordChanged, Member.Id, "account page");
        // A new password is the answer to "someone may know it" (the notices say so): whoever
        // signed in with the old one is signed out, and their apps' tokens end, as with サインアウト.
        var (kept, addressChangeWithdrawn) = await sessions.EndTheOthersAsync(HttpContext, Member, Session, "password changed", cancellationToken);
        if (kept is null)
        {
            return await AfterTheSessionEndedAsync("password", LocalRedirect(MemberJourney.UrlOf(JourneyStep.SignIn, "/account")), cancellationToken);
        }

        await notices.QueueAsync(Member, Mail.Notices.MemberNotice.PasswordChanged);

        return Done("password", addressChangeWithdrawn ? "email-change" : null);
    }

    /// <summary>Withdraws an address change whose link was not opened yet (typed by mistake, or by someone else).</summary>
    /// <param name="pending">The address the page showed as waiting: only to tell the member what became of it.</param>
    public async Task<IActionResult> OnPostCancelEmailChangeAsync(string? pending, CancellationToken cancellationToken)
    {
        if (await EnterAsync(cancellationToken) is { } elsewhere)
        {
            return elsewhere;
        }

        if (await verifications.CancelPendingAsync(Member.Id, "account page", cancellationToken) == 0)
        {
            // Already confirmed (on the phone), or withdrawn elsewhere: nothing was stopped, and the member must not think otherwise.
            var confirmed = pending is not null && string.Equals(pending, Member.Email, StringComparison.OrdinalIgnoreCase);
            return Done(confirmed ? "email-change-confirmed" : "no-email-change");
        }

        await Db.SaveChangesAsync(cancellationToken);
        return Done("email-change-cancelled");
    }

    public async Task<IActionResult> OnPostSignOutOthersAsync(CancellationToken cancellationToken)
    {
        if (await EnterAsync(cancellationToken) is { } elsewhere)
        {
            return await AfterTheSessionEndedAsync("signed-out", elsewhere, cancellationToken);
        }

        // Ending the other sessions withdraws a pending address change, this browser's too: said on the page.
        var (kept, addressChangeWithdrawn) = await sessions.EndTheOthersAsync(HttpContext, Member, Session, "account page", cancellationToken);
        return kept is null
            ? await AfterTheSessionEndedAsync("signed-out", LocalRedirect(MemberJourney.UrlOf(JourneyStep.SignIn, "/account")), cancellationToken)
            : Done("signed-out", addressChangeWithdrawn ? "email-change" : null);
    }

    /// <summary>Back to this page, saying what was done (<see cref="AccountOutcome"/>).</summary>
    private LocalRedirectResult Done(string done, string? cancelled = null) => LocalRedirect(outcome.Url(Member.Id, done, cancelled));

    /// <summary>
    /// For a form that ends the other sessions, when this browser's session had ended before it
    /// could pass (EnterAsync turned it away, or the version moved before the lock): by a copy of
    /// the same form that got there first (a double click; answered as it was, <paramref name="done"/>),
    /// or otherwise (<paramref name="otherwise"/>: the login page, and nothing of the form saved).
    /// </summary>
    private async Task<IActionResult> AfterTheSessionEndedAsync(string done, IActionResult otherwise, CancellationToken cancellationToken) =>
        await RepeatsTheFormThatPassedAsync(time.GetUtcNow(), cancellationToken) ? Done(done) : otherwise;

    /// <summary>
    /// An older sign-in confirms first, and comes back to this page to make the change; a new address
    /// typed (on a phone, say) comes back in its field rather than to be typed again, sealed for this
    /// member (<see cref="AccountOutcome.SealAddress"/>).
    /// </summary>
    private IActionResult? ConfirmFirst(string? typedEmail = null) =>
        SignInIsRecent ? null : LocalRedirect(RecentSignIn.ConfirmUrl("/account?done=confirmed"
            + (EmailAddressInput.Normalize(typedEmail) is { } address ? "&email=" + Uri.EscapeDataString(outcome.SealAddress(Member.Id, address)) : "")));

    private async Task<IActionResult> ShowAsync(CancellationToken cancellationToken)
    {
        Services = await services.ListAsync(cancellationToken);
        Devices = await Db.TotpDevices.AsNoTracking()
            .Where(d => d.MemberId == Member.Id && d.ConfirmedAt != null)
            .OrderBy(d => d.ConfirmedAt)
            .ToListAsync(cancellationToken);
        RecoveryCodesLeft = await recoveryCodes.UnusedAsync(Member.Id, cancellationToken);
        // A link past its time changes nothing any more: the page says so and offers the address again,
        // instead of a change "waiting" that opening the mail would refuse.
        var latest = await verifications.LatestAsync(Member.Id, cancellationToken);
        if (latest is not null && latest.ExpiresAt <= time.GetUtcNow())
        {
            ExpiredEmail = latest.Email;
            NewEmail ??= latest.Email;
        }
        else
        {
            PendingEmail = latest?.Email;
        }

        return Page();
    }

    /// <summary>
    /// Holds the member's code lock and row until this request commits (SecondFactorChange), and reads
    /// the member again: two tabs each taking away one of the member's last two ways to get a code
    /// would otherwise both still see the other one and leave none.
    /// </summary>
    private Task<IDbContextTransaction> HoldMemberAsync(CancellationToken cancellationToken) =>
        SecondFactorChange.BeginAsync(Db, Member, cancellationToken);
}
