using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Journey;

/// <summary>
/// ログアウト: the provider's own sign-out (a POST from its pages), and the question a relying app's
/// end-session request without id_token_hint gets first (its parameters go back with the answer).
/// </summary>
public sealed class LogoutModel(Protocol.SessionTermination sessions, OpenIddict.Abstractions.IOpenIddictApplicationManager applications) : PageModel
{
    private static readonly string[] Carried = [Parameters.PostLogoutRedirectUri, Parameters.State, Parameters.ClientId, Parameters.UiLocales];

    /// <summary>The end-session parameters to post back, as the app sent them (OpenIddict checks them then).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> EndSessionParameters { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync()
    {
        if (await MemberSession.ReadAsync(HttpContext) is null)
        {
            return Redirect("/signed-out");
        }

        EndSessionParameters = Carried
            .Where(name => !string.IsNullOrEmpty(Request.Query[name]))
            .Select(name => KeyValuePair.Create(name, Request.Query[name].ToString()))
            .ToList();
        // A return address no app registered would make the end-session endpoint refuse the answer,
        // leaving the member signed in after pressing ログアウト: then they stay on our signed-out page.
        if (EndSessionParameters.FirstOrDefault(p => p.Key == Parameters.PostLogoutRedirectUri).Value is { } back
            && !await IsRegisteredAsync(back, Request.Query[Parameters.ClientId].ToString()))
        {
            EndSessionParameters = EndSessionParameters.Where(p => p.Key == Parameters.UiLocales).ToList();
        }

        return Page();
    }

    private async Task<bool> IsRegisteredAsync(string postLogoutRedirectUri, string clientId)
    {
        await foreach (var application in applications.FindByPostLogoutRedirectUriAsync(postLogoutRedirectUri, HttpContext.RequestAborted))
        {
            if (string.IsNullOrEmpty(clientId) || await applications.GetClientIdAsync(application, HttpContext.RequestAborted) == clientId)
            {
                return true;
            }
        }

        return false;
    }

    public async Task<IActionResult> OnPostAsync()
    {
        await sessions.SignOutHereAsync(HttpContext, "provider page");
        return Redirect("/signed-out");
    }
}
