using System.Text;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Members;

/// <summary>
/// Argon2id through libsodium (Geralt). The encoded hash carries algorithm, version and
/// parameters, so a hash made with older parameters is still verified and then flagged for
/// upgrade at the member's next successful login. Passwords are hashed and compared in Unicode
/// NFKC (NIST SP 800-63B 5.1.1.2), so the forms a keyboard or an IME may give the same characters
/// (ﾊﾟｽ and パス, a full-width space and a space) are one password.
/// </summary>
public sealed class PasswordHashing(IOptions<PasswordHashingOptions> options)
{
    private readonly PasswordHashingOptions _options = options.Value;

    // A hash no password matches, verified when the user ID is unknown so that an unknown ID
    // costs the same time as a wrong password.
    private readonly Lazy<string> _decoy = new(() => Hash(Guid.NewGuid().ToString("N"), options.Value));

    // How long the latest check at today's settings took (ticks of TimeSpan): what a login against
    // a hash made with older, cheaper settings is padded to (CheckSignInAsync).
    private long _currentCostTicks;

    public string Hash(string password) => Hash(Stable(password), _options);

    /// <summary>The password in NFKC; as typed when it is not valid Unicode (a lone surrogate), which NFKC cannot take.</summary>
    public static string Stable(string password)
    {
        try
        {
            return password.IsNormalized(NormalizationForm.FormKC) ? password : password.Normalize(NormalizationForm.FormKC);
        }
        catch (ArgumentException)
        {
            return password;
        }
    }

    /// <summary>
    /// <see cref="Check"/> for the login page, where the time of the answer must not tell a user ID
    /// from an unknown one. A hash made before the settings were raised verifies faster than the
    /// decoy an unknown ID is checked against, and stays so until its member signs in: a wrong
    /// password's answer then waits out the rest of what a check at today's settings takes. (The pause is wall-clock
    /// time on purpose, not the service's TimeProvider: it is about how long the answer takes.)
    /// </summary>
    public async Task<PasswordCheck> CheckSignInAsync(Member? member, string password, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var check = Check(member, password);
        if (check == PasswordCheck.Wrong && member?.PasswordHash is { } hash && IsOutdated(hash))
        {
            // As many checks at today's settings as an unknown ID runs for this input: two when it has an earlier form.
            var runs = FormsOf(password).Earlier is null ? 1 : 2;
            var remaining = CurrentCost() * runs - System.Diagnostics.Stopwatch.GetElapsedTime(started);
            if (remaining > TimeSpan.Zero)
            {
                await Task.Delay(remaining, cancellationToken);
            }
        }

        return check;
    }

    /// <summary>
    /// Checks what a member typed (as typed: the forms it is compared in are made here). Every path
    /// runs the same Argon2id verifications (one, or two for a password with an earlier form), so an
    /// unknown user ID, a roster-rule password and a chosen one all take the same time.
    /// </summary>
    public PasswordCheck Check(Member? member, string password)
    {
        if (member is { PasswordHash: null })
        {
            Verify(null, password);
            return RosterPassword.Matches(member, Stable(password)) ? PasswordCheck.Correct : PasswordCheck.Wrong;
        }

        return Verify(member?.PasswordHash, password);
    }

    public PasswordCheck Verify(string? encodedHash, string password)
    {
        // Both forms are always verified, whichever matches, so the time does not tell which one did.
        var (stable, asTyped) = FormsOf(password);
        if (encodedHash is null)
        {
            var decoy = _decoy.Value;
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            Geralt.Argon2id.VerifyHash(decoy, Encoding.UTF8.GetBytes(stable));
            Interlocked.Exchange(ref _currentCostTicks, System.Diagnostics.Stopwatch.GetElapsedTime(started).Ticks);
            if (asTyped is not null)
            {
                Geralt.Argon2id.VerifyHash(decoy, Encoding.UTF8.GetBytes(asTyped));
            }

            return PasswordCheck.Wrong;
        }

        if (!encodedHash.StartsWith("$argon2id$", StringComparison.Ordinal))
        {
            return PasswordCheck.Wrong;
        }

        var matchesStable = Geralt.Argon2id.VerifyHash(encodedHash, Encoding.UTF8.GetBytes(stable));
        var matchesAsTyped = asTyped is not null && Geralt.Argon2id.VerifyHash(encodedHash, Encoding.UTF8.GetBytes(asTyped));
        return matchesStable ? (IsOutdated(encodedHash) ? PasswordCheck.CorrectButOutdated : PasswordCheck.Correct)
            // Hashed again in NFKC at this sign-in, like a hash made with older settings.
            : matchesAsTyped ? PasswordCheck.CorrectButOutdated
            : PasswordCheck.Wrong;
    }

    /// <summary>
    /// The forms a typed password is compared in: NFKC, and, for a hash made before passwords were
    /// compared in NFKC, the form logins took then (full-width letters and digits as ASCII,
    /// <see cref="TypedPassword"/>), null when that is the same.
    /// </summary>
    private static (string Stable, string? Earlier) FormsOf(string typed)
    {
        var stable = Stable(typed);
        var earlier = TypedPassword.AsMeant(typed);
        return (stable, earlier == stable ? null : earlier);
    }

    private bool IsOutdated(string encodedHash) =>
        encodedHash.StartsWith("$argon2id$", StringComparison.Ordinal) && Geralt.Argon2id.NeedsRehash(encodedHash, _options.Iterations, _options.MemoryBytes);

    /// <summary>The latest measured cost of a check at today's settings; measured once first when no unknown ID has been checked yet.</summary>
    private TimeSpan CurrentCost()
    {
        if (Interlocked.Read(ref _currentCostTicks) == 0)
        {
            Verify(null, "");
        }

        return TimeSpan.FromTicks(Interlocked.Read(ref _currentCostTicks));
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
