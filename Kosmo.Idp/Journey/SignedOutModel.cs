using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Kosmo.Idp.Journey;

/// <summary>
/// Said after signing out. A member who comes back to it signed in again (from the browser's
/// history) is sent to the start page instead of being told, wrongly, that they are signed out.
/// </summary>
public sealed class SignedOutModel : PageModel
{
    public IActionResult OnGet() => MemberSession.From(User) is null ? Page() : LocalRedirect("/");
}
