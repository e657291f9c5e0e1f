using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Kosmo.Idp.Journey;

public sealed class LogoutModel(Protocol.SessionTermination sessions) : PageModel
{
    public IActionResult OnGet() => RedirectToPage("/Journey/Home");

    public async Task<IActionResult> OnPostAsync()
    {
        await sessions.SignOutHereAsync(HttpContext, "provider page");
        return Redirect("/signed-out");
    }
}
