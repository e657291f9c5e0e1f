using System.Globalization;
using Microsoft.AspNetCore.DataProtection;

namespace Kosmo.Idp.Protocol;

/// <summary>
/// Marks an authorization request that the provider sent to the login page because the session
/// was older than the app's max_age. The request comes back with the same max_age, and a session
/// made a moment ago can already be older than it (max_age=0, or a second boundary passed on the
/// way), which would send the member round again and again. A sign-in made after the provider
/// asked for it is what the app asked for, whatever max_age says. Protected, so only this provider
/// can say when it asked; and it is honoured for an hour only.
/// </summary>
public sealed class SignInRequestedAt(IDataProtectionProvider protection, TimeProvider time)
{
    public const string Parameter = "kosmo_sign_in_requested";

    private static readonly TimeSpan HonouredFor = TimeSpan.FromHours(1);

    private readonly IDataProtector _protector = protection.CreateProtector("Kosmo.Idp.Protocol.SignInRequestedAt");

    public string Now() =>
        _protector.Protect(time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));

    /// <summary>Whether the provider asked for this request's sign-in, and the session was made since.</summary>
    public bool IsAnsweredBy(string? marker, DateTimeOffset authenticatedAt)
    {
        if (string.IsNullOrEmpty(marker))
        {
            return false;
        }

        try
        {
            var asked = DateTimeOffset.FromUnixTimeSeconds(long.Parse(_protector.Unprotect(marker), CultureInfo.InvariantCulture));
            return authenticatedAt >= asked && time.GetUtcNow() - asked <= HonouredFor;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return false;
        }
    }
}
