namespace Kosmo.Idp.Members;

/// <summary>
/// A password as logins took it before passwords were compared in NFKC (<see cref="PasswordHashing"/>,
/// which still checks hashes of that time in this form). No stored password holds full-width letters,
/// digits or signs (U+FF01–FF5E: the new-password rules refuse them; initial passwords are ASCII), so
/// one typed with a Japanese IME left in full-width mode (１２３…) is the same keys typed half-width.
/// The full-width space (U+3000) is left as typed: passwords chosen then may hold one.
/// </summary>
public static class TypedPassword
{
    public static string AsMeant(string typed) =>
        typed.Any(IsFullWidthAscii) ? string.Concat(typed.Select(c => IsFullWidthAscii(c) ? (char)(c - 0xFEE0) : c)) : typed;

    /// <summary>A full-width form of a printable ASCII character, as an IME in full-width mode types it.</summary>
    public static bool IsFullWidthAscii(char c) => c is >= '\uFF01' and <= '\uFF5E';
}
