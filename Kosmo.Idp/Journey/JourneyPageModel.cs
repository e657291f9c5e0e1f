using Kosmo.Idp.Members;
using Kosmo.Idp.Persistence;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Kosmo.Idp.Journey;

/// <summary>
/// A page of the journey after the password. It serves only the member whose next step it is:
/// anyone else is sent to their own next step, so pages never check another step's state and a
/// bookmarked or back-buttoned page cannot skip or repeat a step.
/// </summary>
public abstract class JourneyPageModel(KosmoDbContext db, MemberJourney journey) : PageModel, IReturnsToAnApp
{
    protected abstract JourneyStep Step { get; }

    /// <summary>
    /// A step page that a member who finished the journey may also use (adding another app from
    /// the account page, the code that completes a 本人確認).
    /// </summary>
    protected virtual bool ServesFinishedMembers(MemberSession session) => false;

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    protected KosmoDbContext Db => db;

    protected Member Member { get; private set; } = null!;

    /// <summary>This request's session; a step that upgrades it (a second factor) replaces it before continuing.</summary>
    protected MemberSession Session { get; set; } = null!;

    /// <summary>
    /// Takes a session that <see cref="EnterAsync"/> would turn away as this request's, for a page
    /// that has made sure by other means that it may still answer it (RepeatedForm).
    /// </summary>
    protected async Task TakeAsync(MemberSession session, CancellationToken cancellationToken)
    {
        Member = await db.Members.FindAsync([session.MemberId], cancellationToken)
            ?? throw new InvalidOperationException("The member of a passing session is gone.");
        Session = session;
    }

    /// <summary>
    /// Loads the signed-in member; returns where to go instead when this is not their step (or
    /// <paramref name="alsoServes"/>, for a handler that may run one step early).
    /// </summary>
    protected async Task<IActionResult?> EnterAsync(CancellationToken cancellationToken, JourneyStep? alsoServes = null)
    {
        var session = MemberSession.From(User);
        var member = session is null ? null : await db.Members.FindAsync([session.MemberId], cancellationToken);
        var next = journey.Next(member, session, Demand);
        if (next != Step && next != alsoServes && !(next == JourneyStep.Done && ServesFinishedMembers(session!)))
        {
            // A bookmarked account page opened signed out comes back to itself after the login.
            var returnUrl = next == JourneyStep.SignIn && Step == JourneyStep.Done && ReturnUrl is null && HttpMethods.IsGet(Request.Method)
                ? (Request.PathBase + Request.Path).Value : ReturnUrl;
            return LocalRedirect(MemberJourney.UrlOf(next, returnUrl));
        }

        Member = member!;
        Session = session!;
        return null;
    }

    /// <summary>
    /// For a form sent from a tab left open after its step was done elsewhere (EnterAsync turned it
    /// away, but not to the login page): takes the signed-in member as this request's, so the page
    /// can say what now stands, and returns where the journey goes on; null otherwise.
    /// </summary>
    protected async Task<string?> OnwardFromStaleFormAsync(IActionResult elsewhere, CancellationToken cancellationToken)
    {
        if (elsewhere is not LocalRedirectResult { Url: var next } || next == MemberJourney.UrlOf(JourneyStep.SignIn, ReturnUrl)
            || MemberSession.From(User) is not { } session)
        {
            return null;
        }

        await TakeAsync(session, cancellationToken);
        return next;
    }

    /// <summary>
    /// For a form that ends the member's other sessions: true when this request is a copy of the one
    /// that just did (RepeatedForm), whose session version that request ended. This browser is then
    /// signed in as the first request left it (its cookie, not the copy's, is the one kept), and the
    /// caller answers as the first did.
    /// </summary>
    protected async Task<bool> RepeatsTheFormThatPassedAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (MemberSession.From(User) is not { } copy
            || await RepeatedForm.PassedMomentsAgoAsync(db, copy.MemberId, copy, Request, now, cancellationToken) is not { } earlier
            || earlier.Version == copy.Version)
        {
            return false;
        }

        await TakeAsync(copy with { Version = earlier.Version }, cancellationToken);
        await Session.SignInAsync(HttpContext);
        return true;
    }

    /// <summary>What the member's state requires now (after <see cref="EnterAsync"/>).</summary>
    protected JourneyStep NextStep => journey.Next(Member, Session, Demand);

    /// <summary>After this step's change was saved: on to whatever the member's state now requires.</summary>
    protected IActionResult Continue() => LocalRedirect(MemberJourney.UrlOf(NextStep, ReturnUrl));

    /// <summary>What the relying app's request (the return URL) asks of this sign-in.</summary>
    protected AuthenticationDemand Demand => AuthenticationDemand.FromReturnUrl(ReturnUrl);
}
