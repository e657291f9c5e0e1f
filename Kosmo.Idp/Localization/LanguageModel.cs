using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Kosmo.Idp.Localization;

/// <summary>The language switch on every page: remembers the choice for a year and returns to the same page.</summary>
public sealed class LanguageModel : PageModel
{
    public IActionResult OnGet() => LocalRedirect("/");

    public IActionResult OnPost(string? culture, string? returnUrl)
    {
        var chosen = culture == LocalizationRegistration.English ? LocalizationRegistration.English : LocalizationRegistration.Japanese;
        LocalizationRegistration.AppendCookie(HttpContext, LocalizationRegistration.CookieName, chosen, DateTimeOffset.UtcNow.AddYears(1));
        return LocalRedirect(Journey.MemberJourney.IsLocalUrl(returnUrl) ? returnUrl : "/");
    }
}
