using System.Text;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Members;

/// <summary>
/// Argon2id through libsodium (Geralt). The encoded hash carries algorithm, version and
/// parameters, so a hash made with older parameters is still verified and then flagged for
/// upgrade at the member's next successful login.
/// </summary>
public sealed class PasswordHashing(IOptions<PasswordHashingOptions> options)
{
    private readonly PasswordHashingOptions _options = options.Value;

    // A hash no password matches, verified when the user ID is unknown so that an unknown ID
    // costs the same time as a wrong password.
    private readonly Lazy<string> _decoy = new(() => Hash(Guid.NewGuid().ToString("N"), options.Value));

    public string Hash(string password) => Hash(password, _options);

    /// <summary>
    /// Checks what a member typed on the login page. Every path runs exactly one Argon2id
    /// verification, so an unknown user ID, a roster-rule password and a chosen one all take
    /// the same time.
    /// </summary>
    public PasswordCheck Check(Member? member, string password)
    {
        if (member is { PasswordHash: null })
        {
            Verify(null, password);
            return RosterPassword.Matches(member, password) ? PasswordCheck.Correct : PasswordCheck.Wrong;
        }

        return Verify(member?.PasswordHash, password);
    }

    public PasswordCheck Verify(string? encodedHash, string password)
    {
        if (encodedHash is null)
        {
            Geralt.Argon2id.VerifyHash(_decoy.Value, Encoding.UTF8.GetBytes(password));
            return PasswordCheck.Wrong;
        }

        if (!encodedHash.StartsWith("$argon2id$", StringComparison.Ordinal))
        {
            return PasswordCheck.Wrong;
        }

        if (!Geralt.Argon2id.VerifyHash(encodedHash, Encoding.UTF8.GetBytes(password)))
        {
            return PasswordCheck.Wrong;
        }

        return Geralt.Argon2id.NeedsRehash(encodedHash, _options.Iterations, _options.MemoryBytes)
            ? PasswordCheck.CorrectButOutdated
            : PasswordCheck.Correct;
    }

    private static string Hash(string password, PasswordHashingOptions options)
    {
        Span<char> buffer = stackalloc char[Geralt.Argon2id.HashSize];
        Geralt.Argon2id.ComputeHash(buffer, Encoding.UTF8.GetBytes(password), options.Iterations, options.MemoryBytes);
        return new string(buffer.TrimEnd('\0'));
    }
}

public enum PasswordCheck
{
    Wrong,
    Correct,
    CorrectButOutdated,
}
