using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Kosmo.Idp.Localization;

/// <summary>The language switch on every page: remembers the choice for a year and returns to the same page.</summary>
[IgnoreAntiforgeryToken] // checked below, to answer a stale token otherwise than other forms
public sealed class LanguageModel(IAntiforgery antiforgery) : PageModel
{
    public IActionResult OnGet() => LocalRedirect("/");

    public async Task<IActionResult> OnPostAsync(string? culture, string? returnUrl)
    {
        var back = Journey.MemberJourney.IsLocalUrl(returnUrl) ? returnUrl : "/";
        // A page left open past the session's end carries a token that no longer fits: instead of the
        // expired-page error, the member goes back to where they were (the login page, saying why). The
        // choice is still taken when the browser says the press came from one of our own pages, so one
        // press is enough; another site's form changes nothing.
        if (!await antiforgery.IsRequestValidAsync(HttpContext) && !Shared.RequestOrigin.IsFromOwnPage(Request))
        {
            return LocalRedirect(back);
        }

        var chosen = culture == LocalizationRegistration.English ? LocalizationRegistration.English : LocalizationRegistration.Japanese;
        LocalizationRegistration.AppendCookie(HttpContext, LocalizationRegistration.CookieName, chosen, DateTimeOffset.UtcNow.AddYears(1));
        return LocalRedirect(back);
    }
}
