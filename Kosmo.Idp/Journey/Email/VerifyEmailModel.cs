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
public sealed class VerifyEmailModel(EmailVerificationService verifications, Persistence.KosmoDbContext db) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Token { get; set; }

    public LinkState State { get; private set; } = new(LinkStatus.Invalid, null, null);

    public bool Confirmed { get; private set; }

    /// <summary>True when this browser is signed in as the member, who can simply continue here.</summary>
    public bool SameMember { get; private set; }

    /// <summary>
    /// The address was confirmed in a sign-in with the initial password, which a new sign-in puts
    /// away (<see cref="InitialPasswordChoices"/>): said here, so that "confirmed" is not contradicted
    /// by the next login for a member whose original page is gone.
    /// </summary>
    public bool UntilOwnPassword { get; private set; }

    /// <summary>Confirmed in another browser for an address changed on the account page, not during the first login.</summary>
    public bool FromAccountPage { get; private set; }

    /// <summary>Where 次へ goes: the journey, on to the app that started it when this browser knows it.</summary>
    public string ContinueUrl => VerificationReturn.ContinueUrl(HttpContext, State.MemberId!.Value);

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        await ShowAsync(await verifications.InspectAsync(Token, cancellationToken), cancellationToken);

    public async Task OnPostAsync(CancellationToken cancellationToken) =>
        await ShowAsync(await verifications.ConfirmAsync(Token, cancellationToken), cancellationToken);

    private async Task ShowAsync(LinkState state, CancellationToken cancellationToken)
    {
        State = state;
        // Confirmed now (Valid, after the POST) or before (a reload, the mail opened again).
        Confirmed = state.Status == LinkStatus.Confirmed || (state.Status == LinkStatus.Valid && HttpMethods.IsPost(Request.Method));
        SameMember = Confirmed && MemberSession.From(User)?.MemberId == state.MemberId;
        // Whose link it is, for a browser other than the member's (the phone), confirmed or refused.
        var member = !SameMember && state.MemberId is { } id ? await db.Members.FindAsync([id], cancellationToken) : null;
        UntilOwnPassword = member is not null && InitialPasswordChoices.AreUnproven(member);
        // A member with a second factor changed the address on the account page, which has no 更新 button to press.
        FromAccountPage = member is { HasSecondFactor: true };
    }
}
