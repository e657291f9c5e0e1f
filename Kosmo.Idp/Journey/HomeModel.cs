using Kosmo.Idp.Persistence;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Kosmo.Idp.Journey;

/// <summary>The provider's own start page: a member with steps left is sent on to them, so logging out and back in lands in the same place.</summary>
public sealed class HomeModel(KosmoDbContext db, MemberJourney journey) : PageModel
{
    public string? DisplayName { get; private set; }

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
        return Page();
    }
}
