using Microsoft.EntityFrameworkCore;
using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using Kosmo.Idp.Members;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;
using Kosmo.Idp.Persistence;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Journey;

/// <summary>
/// The member's sign-in on this provider (a cookie), separate from the tokens handed to relying
/// apps. It records who signed in, when, and with which factors, which is what the journey and
/// the tokens' auth_time/amr are computed from.
/// </summary>
/// <param name="Id">
/// Random, one per browser session of a member (kept through the second factor, and continued by a
/// new sign-in in the same browser, <see cref="ContinuedIdAsync"/>): the apps' authorizations made
/// in it are tagged with it, so "sign out the other devices" can spare this device's apps.
/// </param>
/// <param name="PasswordRetypedAt">
/// When the member typed the password again on the 本人確認 page, the code still to come; the
/// session keeps its factors meanwhile (<see cref="ConfirmingAgain"/>).
/// </param>
/// <param name="SignedInAt">
/// When this session's password was typed at the login page (the member's LastSignInAt then), kept
/// through the code and 本人確認: which sign-ins are another device's. Null in a cookie from before it was kept.
/// </param>
public sealed record MemberSession(
    Guid MemberId, DateTimeOffset AuthenticatedAt, IReadOnlyList<string> Methods, int Version = 0, string? SecondFactor = null, string? Id = null,
    DateTimeOffset? PasswordRetypedAt = null, DateTimeOffset? SignedInAt = null)
{
    public const string Scheme = CookieAuthenticationDefaults.AuthenticationScheme;

    /// <summary>The member's <see cref="Member.SessionVersion"/> when this session began.</summary>
    private const string VersionClaim = "kosmo_session_version";

    /// <summary>Which second factor (<see cref="AuthenticationMethods.ByApp"/>, …) completed the session.</summary>
    private const string SecondFactorClaim = "kosmo_second_factor";

    private const string IdClaim = "kosmo_session_id";

    private const string PasswordRetypedClaim = "kosmo_password_retyped";

    private const string SignedInClaim = "kosmo_signed_in";

    /// <summary>The session ID as relying apps see it (OpenID Connect's sid), in tokens and their stored principals.</summary>
    public const string SessionIdClaim = "sid";

    private static readonly IReadOnlyList<string> BothFactors =
        [AuthenticationMethods.Password, AuthenticationMethods.OneTimePassword, AuthenticationMethods.MultiFactor];

    public bool HasSecondFactor => Methods.Contains(AuthenticationMethods.OneTimePassword);

    public static MemberSession? From(ClaimsPrincipal? principal)
    {
        if (principal?.Identity?.IsAuthenticated != true
            || !Guid.TryParse(principal.FindFirstValue(Claims.Subject), out var memberId)
            || !long.TryParse(principal.FindFirstValue(Claims.AuthenticationTime), CultureInfo.InvariantCulture, out var authTime))
        {
            return null;
        }

        var methods = principal.FindAll(Claims.AuthenticationMethodReference).Select(c => c.Value).ToList();
        _ = int.TryParse(principal.FindFirstValue(VersionClaim), CultureInfo.InvariantCulture, out var version);
        // Tokens carry the acr rather than the session's own claim: an app-level acr means the app.
        var secondFactor = principal.FindFirstValue(SecondFactorClaim)
            ?? (principal.FindFirstValue(Claims.AuthenticationContextReference) == AuthenticationMethods.AcrApp ? AuthenticationMethods.ByApp : null);
        DateTimeOffset? retyped = long.TryParse(principal.FindFirstValue(PasswordRetypedClaim), CultureInfo.InvariantCulture, out var retypedAt)
            ? DateTimeOffset.FromUnixTimeSeconds(retypedAt) : null;
        DateTimeOffset? signedIn = long.TryParse(principal.FindFirstValue(SignedInClaim), CultureInfo.InvariantCulture, out var signedInAt)
            ? DateTimeOffset.FromUnixTimeSeconds(signedInAt) : null;
        return new MemberSession(memberId, DateTimeOffset.FromUnixTimeSeconds(authTime), methods, version, secondFactor,
            principal.FindFirstValue(IdClaim) ?? principal.FindFirstValue(SessionIdClaim), retyped, signedIn);
    }

    public static async Task<MemberSession?> ReadAsync(HttpContext context)
    {
        var result = await context.AuthenticateAsync(Scheme);
        EndedSessions.ThrowIfUnchecked(context);
        return From(result.Principal);
    }

    public ClaimsPrincipal ToPrincipal()
    {
        var identity = new ClaimsIdentity(Scheme, Claims.Subject, Claims.Role);
        identity.AddClaim(new Claim(Claims.Subject, MemberId.ToString()));
        identity.AddClaim(new Claim(Claims.AuthenticationTime,
            AuthenticatedAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer64));
        foreach (var method in Methods)
        {
            identity.AddClaim(new Claim(Claims.AuthenticationMethodReference, method));
        }

        identity.AddClaim(new Claim(VersionClaim, Version.ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer32));
        if (SecondFactor is not null)
        {
            identity.AddClaim(new Claim(SecondFactorClaim, SecondFactor));
        }

        if (Id is not null)
        {
            identity.AddClaim(new Claim(IdClaim, Id));
        }

        if (PasswordRetypedAt is { } retyped)
        {
            identity.AddClaim(new Claim(PasswordRetypedClaim,
                retyped.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer64));
        }

        if (SignedInAt is { } signedIn)
        {
            identity.AddClaim(new Claim(SignedInClaim, signedIn.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer64));
        }

        return new ClaimsPrincipal(identity);
    }

    public Task SignInAsync(HttpContext context) => context.SignInAsync(Scheme, ToPrincipal());

    /// <summary>Whether the browser sent a session cookie at all, valid or not (one that ran out is still sent).</summary>
    public static bool CookieSent(HttpContext context) => RequestCookie(context).Cookie is not null;

    // The session cookie as the browser sent it, before the handler's checks, with the options that read it.
    private static (CookieAuthenticationOptions Options, string? Cookie) RequestCookie(HttpContext context)
    {
        var options = context.RequestServices.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(Scheme);
        return (options, options.CookieManager.GetRequestCookie(context, options.Cookie.Name!));
    }

    /// <param name="continuedId">The id of the browser's earlier session of this member (<see cref="LiveInBrowserAsync"/>), or null for a new one.</param>
    public static MemberSession AfterPassword(Member member, DateTimeOffset now, string? continuedId = null) =>
        new(member.Id, now, [AuthenticationMethods.Password], member.SessionVersion,
            Id: continuedId ?? Convert.ToHexString(RandomNumberGenerator.GetBytes(16)), SignedInAt: now);

    /// <summary>
    /// The session this browser still holds, while it counts: from its member's current session version,
    /// begun less than the session limit ago, and not signed out (the record that a session was signed out
    /// is kept only that long: Pruner). Read by hand: the handler refuses an expired ticket (the idle
    /// timeout passed), whose id still names this browser's earlier sign-in. A new sign-in of the same
    /// member continues it (prompt=login, max_age) rather than starting another: signing out here then also
    /// ends the apps signed in through the earlier sign-in (their refresh tokens may sit in this very
    /// browser, a shared PC's), and "sign out the other devices" spares them as this device's. Another
    /// member's sign-in ends it (<see cref="Protocol.SessionTermination.EndReplacedAsync"/>).
    /// </summary>
    public static async Task<MemberSession?> LiveInBrowserAsync(HttpContext context, KosmoDbContext db, DateTimeOffset now)
    {
        var (options, cookie) = RequestCookie(context);
        var limit = context.RequestServices.GetRequiredService<IOptions<MemberSessionOptions>>().Value.ReauthenticateAfter;
        if ((cookie is null ? null : From(options.TicketDataFormat.Unprotect(cookie)?.Principal)) is not { Id: { } id } earlier
            || now - earlier.AuthenticatedAt >= limit)
        {
            return null;
        }

        var version = await db.Members.Where(m => m.Id == earlier.MemberId).Select(m => (int?)m.SessionVersion).SingleOrDefaultAsync(context.RequestAborted);
        return version == earlier.Version && !await EndedSessions.IsEndedAsync(db, id, context.RequestAborted) ? earlier : null;
    }

    /// <summary>
    /// A digest of this sign-in and <paramref name="what"/> it did, to remember on the member (a form
    /// that passed, a wrong birthdate it sent) and know again from this sign-in only: a fixed length,
    /// and no session id stored in the clear. Null for a session without an id.
    /// </summary>
    public string? StampOf(string what) =>
        Id is null ? null : Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Id + "|" + what)));

    /// <summary>
    /// The session while the member confirms who they are before an account change: the password
    /// was typed again just now, the code is still to come. Nothing else changes: a member who
    /// leaves the code page keeps the session as it was, its apps and its account page, rather
    /// than being held at a code page wherever they go next.
    /// </summary>
    public MemberSession ConfirmingAgain(DateTimeOffset now) => this with { PasswordRetypedAt = now };

    /// <summary>本人確認 complete: the password (<see cref="ConfirmingAgain"/>) and now a code, a new sign-in of the same session.</summary>
    public MemberSession ConfirmedAgain(DateTimeOffset now, string factor) =>
        this with
        {
            AuthenticatedAt = now,
            Methods = BothFactors,
            SecondFactor = factor,
            PasswordRetypedAt = null,
        };

    /// <summary>
    /// The session once the member also typed a one-time password. After the password, auth_time
    /// becomes now: the sign-in is complete. A code typed later in a full session (an app that a
    /// relying app asked for, an app just added) changes the factor but not the time, so a code
    /// alone never counts as a new sign-in for the recent-sign-in rule or the 12-hour limit.
    /// </summary>
    public MemberSession WithSecondFactor(DateTimeOffset now, string factor) =>
        this with
        {
            AuthenticatedAt = HasSecondFactor ? AuthenticatedAt : now,
            Methods = BothFactors,
            SecondFactor = factor,
        };
}
