using Kosmo.Idp.Localization;
using Kosmo.Idp.Members;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Persistence;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;

namespace Kosmo.Idp.Journey.MethodChoice;

/// <summary>
/// Manual p.3 [8]: one-time passwords by email or by an authenticator app. Until the new password
/// is set the choice can still be changed (the browser's back button, or another tab where the
/// other method was picked): the last choice counts, instead of one silently ignored.
/// </summary>
public sealed class MethodChoiceModel(
    KosmoDbContext db, MemberJourney journey, AuditLog audit, TimeProvider time, IStringLocalizer<Strings> text) : JourneyPageModel(db, journey)
{
    protected override JourneyStep Step => JourneyStep.ChooseOtpMethod;

    [BindProperty]
    public OtpMethod? Method { get; set; }

    /// <summary>The relying app asks for an authenticator app (acr_values): said here, before email is chosen and then set up in vain.</summary>
    public bool AppRequired => Demand.RequiresApp;

    /// <summary>Set when this form came from a tab left open while the password was set: the method stands, and where the journey goes on.</summary>
    public string? AlreadyChosenContinueUrl { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (await EnterOrChangeAsync(cancellationToken) is { } elsewhere)
        {
            return elsewhere;
        }

        Method ??= Member.OtpMethod ?? (AppRequired ? OtpMethod.App : null);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (await EnterOrChangeAsync(cancellationToken) is { } elsewhere)
        {
            // Another choice from a tab left open while the password was set: it changes nothing, and
            // the member learns which method is being set up, instead of landing there unexplained.
            if (Method is { } posted && await OnwardFromStaleFormAsync(elsewhere, cancellationToken) is { } next
                && !Member.PasswordMustChange && Member.OtpMethod is { } chosen && chosen != posted)
            {
                AlreadyChosenContinueUrl = next;
                Method = chosen;
                return Page();
            }

            return elsewhere;
        }

        ModelState.Remove(nameof(Method));
        if (Method is not (OtpMethod.Email or OtpMethod.App))
        {
            ModelState.AddModelError(nameof(Method), text["Method.Required"]);
            return Page();
        }

        Member.OtpMethod = Method;
        Member.UpdatedAt = time.GetUtcNow();
        audit.Record(AuditKinds.OtpMethodChosen, Member.Id, Method.ToString());
        await Db.SaveChangesAsync(cancellationToken);
        return Continue();
    }

    /// <summary>
    /// This step, or the next one while it only waits for the new password: a member who already has
    /// a second factor (a password reset by an operator) changes methods on the account page instead.
    /// </summary>
    private async Task<IActionResult?> EnterOrChangeAsync(CancellationToken cancellationToken)
    {
        if (await EnterAsync(cancellationToken, alsoServes: JourneyStep.NewPassword) is { } elsewhere)
        {
            return elsewhere;
        }

        return NextStep == JourneyStep.NewPassword && Member.HasSecondFactor ? Continue() : null;
    }
}
