using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.Extensions;

namespace Kosmo.Idp.Journey.Account;

/// <summary>
/// What a change on the account page says once it is done ("この端末以外はすべてログアウトしました"),
/// carried by the redirect's query (?done=…) with a proof that this provider wrote it for this
/// member: a link someone sends the member must not make the page claim a change that was never
/// made. The proof lasts ten minutes, so a reload soon after still says it.
/// </summary>
public sealed class AccountOutcome(IDataProtectionProvider protection)
{
    private static readonly TimeSpan Lasts = TimeSpan.FromMinutes(10);

    // Long enough for 本人確認 (the password, then a mailed code).
    private static readonly TimeSpan AddressLasts = TimeSpan.FromMinutes(30);

    private readonly ITimeLimitedDataProtector _protector =
        protection.CreateProtector("Kosmo.Idp.Journey.Account.Outcome").ToTimeLimitedDataProtector();

    private readonly ITimeLimitedDataProtector _addresses =
        protection.CreateProtector("Kosmo.Idp.Journey.Account.TypedAddress").ToTimeLimitedDataProtector();

    /// <summary>The account page's address saying <paramref name="done"/> (and what it also withdrew).</summary>
    public string Url(Guid memberId, string done, string? cancelled = null)
    {
        var query = new QueryBuilder { { "done", done } };
        if (cancelled is not null)
        {
            query.Add("cancelled", cancelled);
        }

        query.Add("proof", _protector.Protect(Stated(memberId, done, cancelled), Lasts));
        return "/account" + query.ToQueryString();
    }

    /// <summary>Whether this provider wrote these words for this member, lately.</summary>
    public bool Proves(Guid memberId, string done, string? cancelled, string? proof) =>
        Unprotected(_protector, proof) == Stated(memberId, done, cancelled);

    /// <summary>
    /// A new address the member typed before 本人確認, to come back in its field: encrypted, so the
    /// address is not in the URLs of the confirmation (history, a proxy's access log), and bound to the
    /// member, so a link someone sends cannot fill in an address of theirs for the member to confirm.
    /// </summary>
    public string SealAddress(Guid memberId, string address) =>
        _addresses.Protect($"{memberId:N}|{address}", AddressLasts);

    /// <summary>The address sealed for this member, or null (none, another member's, too old, tampered with).</summary>
    public string? OpenAddress(Guid memberId, string? sealedAddress)
    {
        var prefix = $"{memberId:N}|";
        return Unprotected(_addresses, sealedAddress) is { } opened && opened.StartsWith(prefix, StringComparison.Ordinal) ? opened[prefix.Length..] : null;
    }

    private static string Stated(Guid memberId, string done, string? cancelled) => $"{memberId:N}|{done}|{cancelled}";

    // Null for nothing, another purpose's or a tampered payload, or one past its time.
    private static string? Unprotected(ITimeLimitedDataProtector protector, string? payload)
    {
        if (string.IsNullOrEmpty(payload))
        {
            return null;
        }

        try
        {
            return protector.Unprotect(payload);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
