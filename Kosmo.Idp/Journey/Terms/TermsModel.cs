using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Persistence;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace Kosmo.Idp.Journey.Terms;

/// <summary>Manual p.2 [4]: the current terms of use and 同意する; declining ends the session.</summary>
public sealed class TermsModel(
    KosmoDbContext db, MemberJourney journey, TermsOfUse terms, Protocol.SessionTermination sessions, AuditLog audit, TimeProvider time)
    : JourneyPageModel(db, journey)
{
    protected override JourneyStep Step => JourneyStep.AcceptTerms;

    public IReadOnlyList<string> Paragraphs { get; private set; } = [];

    public string Version => terms.Version;

    /// <summary>The member agreed to a version that is no longer current: nothing was recorded, and the page says why.</summary>
    public bool Changed { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (await EnterAsync(cancellationToken) is { } elsewhere)
        {
            return elsewhere;
        }

        Paragraphs = terms.Paragraphs();
        return Page();
    }

    public async Task<IActionResult> OnPostAcceptAsync(string? version, CancellationToken cancellationToken)
    {
        if (await EnterAsync(cancellationToken) is { } elsewhere)
        {
            return elsewhere;
        }

        // The terms changed while the page was open: show the new text rather than record consent to unseen terms.
        // A post naming no version came from no page of ours, and nothing was revised to say so about.
        if (version != terms.Version)
        {
            Paragraphs = terms.Paragraphs();
            Changed = !string.IsNullOrEmpty(version);
            return Page();
        }

        var now = time.GetUtcNow();
        Member.AcceptedTermsVersion = terms.Version;
        Member.TermsAcceptedAt = now;
        Member.UpdatedAt = now;
        audit.Record(AuditKinds.TermsAccepted, Member.Id, "version " + terms.Version);
        await Db.SaveChangesAsync(cancellationToken);
        return Continue();
    }

    public async Task<IActionResult> OnPostDeclineAsync(CancellationToken cancellationToken)
    {
        if (await EnterAsync(cancellationToken) is { } elsewhere)
        {
            return elsewhere;
        }

        audit.Record(AuditKinds.TermsDeclined, Member.Id, "version " + terms.Version);
        await Db.SaveChangesAsync(cancellationToken);
        await sessions.SignOutHereAsync(HttpContext, "terms declined");
        // Signing in again from there goes back to the app's sign-in, as the browser's Back would.
        return LocalRedirect(Url.IsLocalUrl(ReturnUrl)
            ? "/signed-out?reason=terms-declined&returnUrl=" + Uri.EscapeDataString(ReturnUrl)
            : "/signed-out?reason=terms-declined");
    }
}
