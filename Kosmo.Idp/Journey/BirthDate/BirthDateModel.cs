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
            Error = text["BirthDate.Format"];
            return Page();
        }

        // A slip of the keyboard (2027 for 1927), not a guess: like a malformed date, it costs no try.
        if (typed > SocietyTime.Today(time.GetUtcNow()))
        {
            Error = text["BirthDate.InTheFuture"];
            return Page();
        }

        // One try at a time per member, each reading the count (and lock) the one before left:
        // tries sent in parallel would otherwise all be compared before any was counted, and a
        // right one among them would reset the count under the others' feet.
        return await OneAtATime.RunAsync(Db, "birthdate:" + Member.Id.ToString("N"), () => AttemptAsync(typed, cancellationToken), cancellationToken);
    }

    private async Task<IActionResult> AttemptAsync(DateOnly typed, CancellationToken cancellationToken)
    {
        await Db.Entry(Member).ReloadAsync(cancellationToken);
        if (Member.LockedAt is not null)
        {
            return await LockedOutAsync();
        }

        if (Member.BirthDateConfirmedAt is not null)
        {
            return Continue();
        }

        var now = time.GetUtcNow();
        if (typed != Member.BirthDate && RepeatedWrongBirthDate.IsRepeat(Member, Session, typed))
        {
            Error = text["BirthDate.Wrong", options.Value.BirthDateAttempts - Member.BirthDateFailures];
            return Page();
        }

        if (typed == Member.BirthDate)
        {
            RepeatedWrongBirthDate.Forget(Member);
            Member.BirthDateConfirmedAt = now;
            Member.BirthDateFailures = 0;
            Member.UpdatedAt = now;
            audit.Record(AuditKinds.BirthDateConfirmed, Member.Id);
            await Db.SaveChangesAsync(cancellationToken);
            return Continue();
        }

        Member.BirthDateFailures++;
        var left = options.Value.BirthDateAttempts - Member.BirthDateFailures;
        audit.Record(AuditKinds.BirthDateFailed, Member.Id, $"failure {Member.BirthDateFailures}");
        if (left > 0)
        {
            RepeatedWrongBirthDate.Remember(Member, Session, typed);
            await Db.SaveChangesAsync(cancellationToken);
            Error = text["BirthDate.Wrong", left];
            return Page();
        }

        Member.LockedAt = now;
        Member.LockReason = MemberLockReason.BirthDateAttempts;
        audit.Record(AuditKinds.AccountLocked, Member.Id, "too many wrong birthdates");
        await Db.SaveChangesAsync(cancellationToken);
        return await LockedOutAsync();
    }

    private async Task<IActionResult> LockedOutAsync()
    {
        await HttpContext.SignOutAsync(MemberSession.Scheme);
        Locked = true;
        return Page();
    }
}
