using Kosmo.Idp.Journey.Otp;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Persistence;
using Microsoft.AspNetCore.Mvc;

namespace Kosmo.Idp.Journey.Recovery;

/// <summary>
/// Ten recovery codes, shown once: only their hashes are kept, so showing the page again issues a
/// new set (and the old set stops working).
/// </summary>
[ResponseCache(NoStore = true, Location = ResponseCacheLocation.None)]
public sealed class RecoveryCodesModel(
    KosmoDbContext db, MemberJourney journey, RecoveryCodes codes, AuditLog audit, TimeProvider time) : JourneyPageModel(db, journey)
{
    protected override JourneyStep Step => JourneyStep.SaveRecoveryCodes;

    public IReadOnlyList<string> Codes { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (await EnterAsync(cancellationToken) is { } elsewhere)
        {
            return elsewhere;
        }

        Codes = await codes.IssueAsync(Member.Id, cancellationToken);
        audit.Record(AuditKinds.RecoveryCodesIssued, Member.Id, $"{Codes.Count} codes");
        await Db.SaveChangesAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        // "Saved" counts even when the recent-sign-in window closed while the member copied the
        // codes: sending them to 本人確認 would show a new set and kill the one just written down.
        if (await EnterAsync(cancellationToken, alsoServes: JourneyStep.ConfirmIdentity) is { } elsewhere)
        {
            return elsewhere;
        }

        var now = time.GetUtcNow();
        Member.RecoveryCodesSavedAt = now;
        Member.UpdatedAt = now;
        await Db.SaveChangesAsync(cancellationToken);
        return Continue();
    }
}
