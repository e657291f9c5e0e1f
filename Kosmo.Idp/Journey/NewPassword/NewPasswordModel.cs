using Kosmo.Idp.Localization;
using Kosmo.Idp.Members;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Persistence;
using Kosmo.Idp.Protocol;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Kosmo.Idp.Journey.NewPassword;

/// <summary>
/// Manual p.3 [9]: the member replaces the initial password (or one an operator reset) with one of
/// their own. Every other session ends with it: the initial password is 記号+番号+生年月日, which
/// anyone holding the insurance card can work out, and a session opened with it elsewhere would
/// otherwise follow the member into the authenticator setup and on into the account.
/// </summary>
public sealed class NewPasswordModel(
    KosmoDbContext db, MemberJourney journey, PasswordPolicy policy, PasswordHashing hashing, PasswordRecheck recheck, AuditLog audit,
    SessionTermination sessions, TimeProvider time, IStringLocalizer<Strings> text) : JourneyPageModel(db, journey)
{
    protected override JourneyStep Step => JourneyStep.NewPassword;

    [BindProperty]
    public string? Password { get; set; }

    [BindProperty]
    public string? Confirmation { get; set; }

    public PasswordPolicyOptions Rules => policy.Rules;

    public string UserId => Member.UserId;

    /// <summary>Set when this form came from a second window after the first one set the password: where the journey goes on.</summary>
    public string? AlreadySetContinueUrl { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) =>
        await EnterAsync(cancellationToken) ?? Page();

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (await EnterAsync(cancellationToken) is { } elsewhere)
        {
            // A copy of the form that just set the password (a double tap), with the session it ended.
            if (await RepeatsTheFormThatPassedAsync(time.GetUtcNow(), cancellationToken))
            {
                return Continue();
            }

            // A second window's form, after the first one set the password: nothing changes, and the
            // member learns which password now counts, instead of moving on as if this one did.
            if (!string.IsNullOrEmpty(Password) && await OnwardFromStaleFormAsync(elsewhere, cancellationToken) is { } next
                && !Member.PasswordMustChange && Member.PasswordChangedAt is { } changed && time.GetUtcNow() - changed < TimeSpan.FromHours(1))
            {
                return await AlreadySetAsync(Member, next, cancellationToken);
            }

            return elsewhere;
        }

        var password = Password ?? "";
        var problems = NewPasswordForm.Check(policy, Member, password, Confirmation, ModelState, nameof(Password), nameof(Confirmation), text);
        if (problems.Count > 0)
        {
            audit.Record(AuditKinds.PasswordRefused, Member.Id, string.Join(", ", problems));
            await Db.SaveChangesAsync(cancellationToken);
            return Page();
        }

        var now = time.GetUtcNow();
        Member.PasswordHash = hashing.Hash(password);
        Member.PasswordMustChange = false;
        Member.PasswordChangedAt = now;
        Member.UpdatedAt = now;
        audit.Record(AuditKinds.PasswordChanged, Member.Id, "first login");
        if ((await sessions.EndTheOthersAsync(HttpContext, Member, Session, "password replaced at sign-in", cancellationToken)).Session is not { } session)
        {
            // A copy of this form got there first, or another window's form, or an operator signed the member out meanwhile.
            if (await RepeatsTheFormThatPassedAsync(time.GetUtcNow(), cancellationToken))
            {
                return Continue();
            }

            return await AfterAnotherWindowsPasswordAsync(cancellationToken) ?? LocalRedirect(MemberJourney.UrlOf(JourneyStep.SignIn, ReturnUrl));
        }

        Session = session;
        return Continue();
    }

    /// <summary>
    /// Another window's form set the password while this one was on its way: nothing of this one is
    /// saved, and the member hears which password counts, as when that form comes after (above). The
    /// browser keeps the cookie the other window's answer left (this one's renewal would put the ended
    /// session back), and this page, asked for again, moves on with it.
    /// </summary>
    private async Task<IActionResult?> AfterAnotherWindowsPasswordAsync(CancellationToken cancellationToken)
    {
        var stored = await Db.Members.AsNoTracking().SingleAsync(m => m.Id == Member.Id, cancellationToken);
        if (stored.PasswordMustChange || stored.PasswordChangedAt is not { } changed || time.GetUtcNow() - changed > TimeSpan.FromMinutes(1))
        {
            return null;
        }

        BrowserCookieKept.ForThisAnswer(HttpContext);
        return await AlreadySetAsync(stored, MemberJourney.UrlOf(JourneyStep.NewPassword, ReturnUrl), cancellationToken);
    }

    /// <summary>
    /// The password was set by another form: said, with the way on to <paramref name="next"/>. When the
    /// password typed is the one in force (the same form sent twice, a reload's resend), there is nothing
    /// to tell. Checked as the login's secret is, so this is no way around the lockout.
    /// </summary>
    private async Task<IActionResult> AlreadySetAsync(Member stored, string next, CancellationToken cancellationToken)
    {
        if (await recheck.RefusalAsync(stored, Password, "NewPassword.AlreadySet", "new password sent again", cancellationToken) is null)
        {
            return LocalRedirect(next);
        }

        AlreadySetContinueUrl = next;
        return Page();
    }
}
