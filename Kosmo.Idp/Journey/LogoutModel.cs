using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Kosmo.Idp.Journey;

public sealed class LogoutModel : PageModel
{
    public IActionResult OnGet() => RedirectToPage("/Journey/Home");

    public async Task<IActionResult> OnPostAsync()
    {
        await HttpContext.SignOutAsync(MemberSession.Scheme);
        return Redirect("/signed-out");
    }
}
