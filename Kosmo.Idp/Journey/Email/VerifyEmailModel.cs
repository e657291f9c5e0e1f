using Kosmo.Idp.Journey.Password;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Kosmo.Idp.Journey.Email;

/// <summary>
/// The page the mailed link opens, often on another device with no session. Opening it only
/// shows a button: mail scanners that fetch links must not use up the single-use link.
/// </summary>
[ResponseCache(NoStore = true, Location = ResponseCacheLocation.None)]
[ThrottlePostsByAddress]
public sealed class VerifyEmailModel(EmailVerificationService verifications) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Token { get; set; }

    public LinkState State { get; private set; } = new(LinkStatus.Invalid, null, null);

    public bool Confirmed { get; private set; }

    /// <summary>True when this browser is signed in as the member, who can simply continue here.</summary>
    public bool SameMember { get; private set; }

    /// <summary>Where 次へ goes: the journey, on to the app that started it when this browser knows it.</summary>
    public string ContinueUrl => VerificationReturn.ContinueUrl(HttpContext, State.MemberId!.Value);

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Show(await verifications.InspectAsync(Token, cancellationToken));

    public async Task OnPostAsync(CancellationToken cancellationToken) =>
        Show(await verifications.ConfirmAsync(Token, cancellationToken));

    private void Show(LinkState state)
    {
        State = state;
        // Confirmed now (Valid, after the POST) or before (a reload, the mail opened again).
        Confirmed = state.Status == LinkStatus.Confirmed || (state.Status == LinkStatus.Valid && HttpMethods.IsPost(Request.Method));
        SameMember = Confirmed && MemberSession.From(User)?.MemberId == state.MemberId;
    }
}
