using Kosmo.Idp.Journey.Password;
using Kosmo.Idp.Localization;
using Kosmo.Idp.Members;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Persistence;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;

namespace Kosmo.Idp.Journey.Confirm;

/// <summary>
/// 本人確認: the password again, then the member's one-time password (the journey's own code page),
/// then back to the change the member was making. The session's sign-in time becomes now.
/// </summary>
[ThrottlePostsByAddress]
public sealed class ConfirmModel(
    KosmoDbContext db, MemberJourney journey, PasswordHashing hashing, AttemptThrottle throttle, AuditLog audit,
    TimeProvider time, IStringLocalizer<Strings> text) : JourneyPageModel(db, journey)
{
    protected override JourneyStep Step => JourneyStep.Done;

    [BindProperty]
    public string? Password { get; set; }

    public string UserId => Member.UserId;

    public string DisplayName => Member.DisplayName ?? Member.UserId;

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) =>
        await EnterAsync(cancellationToken) ?? Page();

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (await EnterAsync(cancellationToken) is { } elsewhere)
        {
            return elsewhere;
        }

        if (string.IsNullOrEmpty(Password))
        {
            ModelState.AddModelError(nameof(Password), text["Login.PasswordRequired"]);
            return Page();
        }

        // The same lockout as the login page: this is the same secret, typed on another page.
        if (await throttle.RemainingLockAsync(Member.NormalizedUserId, cancellationToken) is { } locked)
        {
            ModelState.AddModelError(nameof(Password), text["Login.TemporarilyLocked", Math.Ceiling(locked.TotalMinutes)]);
            return Page();
        }

        if (hashing.Check(Member, Password) == PasswordCheck.Wrong)
        {
            var wait = await throttle.RecordFailureAsync(Member.NormalizedUserId, cancellationToken);
            audit.Record(wait is null ? AuditKinds.SignInFailed : AuditKinds.SignInLockedOut, Member.Id, "confirming before an account change");
            await Db.SaveChangesAsync(cancellationToken);
            ModelState.AddModelError(nameof(Password), wait is { } w ? text["Login.TemporarilyLocked", Math.Ceiling(w.TotalMinutes)] : text["Confirm.Wrong"]);
            return Page();
        }

        await throttle.ClearAsync(Member.NormalizedUserId, cancellationToken);
        audit.Record(AuditKinds.SignInSucceeded, Member.Id, "confirming before an account change");
        await Db.SaveChangesAsync(cancellationToken);

        // Password-only until the code is typed: the journey now asks for it, as at login.
        Session = Session.ConfirmingAgain(time.GetUtcNow());
        await Session.SignInAsync(HttpContext);
        return Continue();
    }
}
