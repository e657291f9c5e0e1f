using Kosmo.Idp.Localization;
using Kosmo.Idp.Members;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Persistence;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Journey.BirthDate;

/// <summary>Manual p.2 [3]: the member types their own birthdate, which must match the roster.</summary>
public sealed class BirthDateModel(
    KosmoDbContext db, MemberJourney journey, AuditLog audit, TimeProvider time,
    IOptions<JourneyOptions> options, IStringLocalizer<Strings> text) : JourneyPageModel(db, journey)
{
    protected override JourneyStep Step => JourneyStep.ConfirmBirthDate;

    [BindProperty]
    public string? BirthDate { get; set; }

    public string? Error { get; private set; }

    public bool Locked { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) =>
        await EnterAsync(cancellationToken) ?? Page();

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (await EnterAsync(cancellationToken) is { } elsewhere)
        {
            return elsewhere;
        }

        if (BirthDateInput.Parse(BirthDate) is not { } typed)
        {
            ModelState.AddModelError(nameof(BirthDate), text["BirthDate.Format"]);
            return Page();
        }

        var now = time.GetUtcNow();
        if (typed == Member.BirthDate)
        {
            Member.BirthDateConfirmedAt = now;
            Member.BirthDateFailures = 0;
            Member.UpdatedAt = now;
            audit.Record(AuditKinds.BirthDateConfirmed, Member.Id);
            await Db.SaveChangesAsync(cancellationToken);
            return Continue();
        }

        // Counted in the database, so parallel tries cannot slip past the limit.
        await Db.Members.Where(m => m.Id == Member.Id)
            .ExecuteUpdateAsync(set => set.SetProperty(m => m.BirthDateFailures, m => m.BirthDateFailures + 1), cancellationToken);
        var failures = await Db.Members.Where(m => m.Id == Member.Id).Select(m => m.BirthDateFailures).FirstAsync(cancellationToken);
        var left = options.Value.BirthDateAttempts - failures;
        audit.Record(AuditKinds.BirthDateFailed, Member.Id, $"failure {failures}");
        if (left > 0)
        {
            await Db.SaveChangesAsync(cancellationToken);
            Error = text["BirthDate.Wrong", left];
            return Page();
        }

        await Db.Members.Where(m => m.Id == Member.Id).ExecuteUpdateAsync(set => set
            .SetProperty(m => m.LockedAt, now)
            .SetProperty(m => m.LockReason, MemberLockReason.BirthDateAttempts), cancellationToken);
        audit.Record(AuditKinds.AccountLocked, Member.Id, "too many wrong birthdates");
        await Db.SaveChangesAsync(cancellationToken);
        await HttpContext.SignOutAsync(MemberSession.Scheme);
        Locked = true;
        return Page();
    }
}
