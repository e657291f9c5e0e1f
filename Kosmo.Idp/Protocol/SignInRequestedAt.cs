using System.Globalization;
using Microsoft.AspNetCore.DataProtection;
using OpenIddict.Abstractions;

namespace Kosmo.Idp.Protocol;

/// <summary>
/// Marks an authorization request that the provider sent to the login page because the session
/// was older than the app's max_age. The request comes back with the same max_age, and a session
/// made a moment ago can already be older than it (max_age=0, or a second boundary passed on the
/// way), which would send the member round again and again. A sign-in made after the provider
/// asked for it is what the app asked for, whatever max_age says. Protected, so only this provider
/// can say when it asked; bound to the request's client and PKCE challenge, so a marker copied from
/// one request (browser history on a shared PC) answers no other; and honoured for an hour: a first
/// login waits for mails, and the apps' handlers are told to wait that long for the answer
/// (docs/integrating-an-app.md), while only a sign-in made after the marker counts at all.
/// </summary>
public sealed class SignInRequestedAt(IDataProtectionProvider protection, TimeProvider time)
{
    public const string Parameter = "kosmo_sign_in_requested";

    private static readonly TimeSpan HonouredFor = TimeSpan.FromHours(1);

    private readonly IDataProtector _protector = protection.CreateProtector("Kosmo.Idp.Protocol.SignInRequestedAt");

    public string For(OpenIddictRequest request) =>
        _protector.Protect(string.Join('\n', time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), request.ClientId, request.CodeChallenge));

    /// <summary>Whether the provider asked for this request's sign-in, and the session was made since.</summary>
    public bool IsAnsweredBy(OpenIddictRequest request, DateTimeOffset authenticatedAt)
    {
        if ((string?)request.GetParameter(Parameter) is not { Length: > 0 } marker)
        {
            return false;
        }

        try
        {
            var parts = _protector.Unprotect(marker).Split('\n');
            var asked = DateTimeOffset.FromUnixTimeSeconds(long.Parse(parts[0], CultureInfo.InvariantCulture));
            return parts.Length == 3 && parts[1] == request.ClientId && parts[2] == request.CodeChallenge
                && authenticatedAt >= asked && time.GetUtcNow() - asked <= HonouredFor;
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or FormatException or OverflowException)
        {
            return false;
        }
    }
}
