using Kosmo.Idp.Localization;
using Kosmo.Idp.Members;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Persistence;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;

namespace Kosmo.Idp.Journey.MethodChoice;

/// <summary>Manual p.3 [8]: one-time passwords by email or by an authenticator app.</summary>
public sealed class MethodChoiceModel(
    KosmoDbContext db, MemberJourney journey, AuditLog audit, TimeProvider time, IStringLocalizer<Strings> text) : JourneyPageModel(db, journey)
{
    protected override JourneyStep Step => JourneyStep.ChooseOtpMethod;

    [BindProperty]
    public OtpMethod? Method { get; set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) =>
        await EnterAsync(cancellationToken) ?? Page();

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (await EnterAsync(cancellationToken) is { } elsewhere)
        {
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
}
