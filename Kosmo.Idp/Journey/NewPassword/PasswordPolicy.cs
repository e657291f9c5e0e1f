using System.Collections.Frozen;
using Kosmo.Idp.Members;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Journey.NewPassword;

/// <summary>
/// Why a new password is refused, as resource keys the page shows. The password is compared
/// with the initial one by <see cref="PasswordHashing.Check"/>, never stored or logged.
/// </summary>
public sealed class PasswordPolicy(IOptions<PasswordPolicyOptions> options, PasswordHashing hashing)
{
    private static readonly Lazy<FrozenSet<string>> Common = new(LoadCommonPasswords);

    public PasswordPolicyOptions Rules => options.Value;

    /// <summary>Characters as a member counts them (NIST SP 800-63B: Unicode code points), not UTF-16 units: 😀 is one.</summary>
    private static int CharactersIn(string password) => password.EnumerateRunes().Count();

    /// <param name="compareWithCurrent">
    /// False while the member has not proven the current password: the comparison would otherwise
    /// answer guesses at it without counting them.
    /// </param>
    public IReadOnlyList<string> Problems(Member member, string password, bool compareWithCurrent = true)
    {
        var rules = options.Value;
        if (string.IsNullOrEmpty(password))
        {
            // One plain request, not the list of every rule an empty field breaks.
            return ["NewPassword.Required"];
        }

        var problems = new List<string>();
        // Rules about what the password is are read off the form it is stored and compared in; rules
        // about how it was typed (full-width, control characters, spaces at the ends) off the typing.
        var stable = PasswordHashing.Stable(password);
        if (CharactersIn(stable) < rules.MinimumLength)
        {
            problems.Add("NewPassword.TooShort");
        }

        // Also as typed: a decomposed form (jamo, combining marks) shrinks under NFKC, but the login field takes the typing.
        if (CharactersIn(stable) > rules.MaximumLength || password.Length > Password.LoginModel.MaxPasswordLength)
        {
            problems.Add("NewPassword.TooLong");
        }

        if (password.Any(char.IsControl))
        {
            problems.Add("NewPassword.NotPlain");
        }

        // Spaces inside are fine (a passphrase); at either end they are almost always a slip of the
        // paste or the thumb, which the next login, typed without them, would fail on.
        if (password.Length > 0 && (char.IsWhiteSpace(password[0]) || char.IsWhiteSpace(password[^1])))
        {
            problems.Add("NewPassword.SpaceAtEnd");
        }

        // Full-width letters and digits (an IME left in full-width mode) are refused with their own
        // reason: "include a letter" would puzzle a member who typed nothing else, and a password
        // typed full-width once is typed half-width at the next login, and fails.
        var fullWidth = password.Any(TypedPassword.IsFullWidthAscii);
        if (fullWidth)
        {
            problems.Add("NewPassword.FullWidth");
        }

        if (!fullWidth && rules.RequireLetter && !stable.Any(char.IsAsciiLetter))
        {
            problems.Add("NewPassword.NeedsLetter");
        }

        if (!fullWidth && rules.RequireDigit && !stable.Any(char.IsAsciiDigit))
        {
            problems.Add("NewPassword.NeedsDigit");
        }

        if (string.Equals(stable.Trim(), member.UserId, StringComparison.OrdinalIgnoreCase))
        {
            problems.Add("NewPassword.IsUserId");
        }

        if (Common.Value.Contains(stable.ToLowerInvariant()))
        {
            problems.Add("NewPassword.TooCommon");
        }

        // Last, as it costs one Argon2id run: the initial password (roster rule or the paper notice), or the current one, cannot be kept.
        if (problems.Count == 0 && compareWithCurrent && (stable == RosterPassword.For(member) || hashing.Check(member, password) != PasswordCheck.Wrong))
        {
            problems.Add(member.PasswordMustChange ? "NewPassword.IsInitial" : "NewPassword.IsCurrent");
        }

        return problems;
    }

    private static FrozenSet<string> LoadCommonPasswords()
    {
        using var stream = typeof(PasswordPolicy).Assembly.GetManifestResourceStream("common-passwords.txt")
            ?? throw new InvalidOperationException("The common-passwords list is missing from the assembly.");
        using var reader = new StreamReader(stream);
        var set = new HashSet<string>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0 && line[0] != '#')
            {
                set.Add(line.Trim().ToLowerInvariant());
            }
        }

        return set.ToFrozenSet(StringComparer.Ordinal);
    }
}
