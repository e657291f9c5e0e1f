using Kosmo.Idp.Persistence;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Kosmo.Idp.Journey;

public sealed class HomeModel(KosmoDbContext db) : PageModel
{
    public string? DisplayName { get; private set; }

    public async Task OnGetAsync()
    {
        var session = MemberSession.From(User);
        var member = session is null ? null : await db.Members.FindAsync(session.MemberId);
        DisplayName = member is null ? null : member.DisplayName ?? member.UserId;
    }
}
