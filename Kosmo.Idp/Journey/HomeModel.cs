using Kosmo.Idp.Persistence;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Kosmo.Idp.Journey;

/// <summary>The provider's own start page: a member with steps left is sent on to them, so logging out and back in lands in the same place.</summary>
public sealed class HomeModel(KosmoDbContext db, MemberJourney journey, Account.MemberServices services) : PageModel
{
    public string? DisplayName { get; private set; }

    /// <summary>The society's services, for a member who came here rather than from a relying app (manual p.13).</summary>
    public IReadOnlyList<Account.MemberService> Services { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var session = MemberSession.From(User);
        var member = session is null ? null : await db.Members.FindAsync([session.MemberId], cancellationToken);
        if (member is null)
        {
            return Page();
        }

        var next = journey.Next(member, session);
        if (next != JourneyStep.Done)
        {
            return LocalRedirect(MemberJourney.UrlOf(next, null));
        }

        DisplayName = member.DisplayName ?? member.UserId;
        Services = await services.ListAsync(cancellationToken);
        return Page();
    }
}
