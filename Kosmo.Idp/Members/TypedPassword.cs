namespace Kosmo.Idp.Members;

/// <summary>
/// A password as the member meant it. No stored password holds full-width forms (the new-password
/// rules refuse them; initial passwords are ASCII), so one typed with a Japanese IME left in
/// full-width mode (１２３…) is the same keys typed half-width: it is checked as such, instead of
/// failing and counting towards the lockout.
/// </summary>
public static class TypedPassword
{
    public static string AsMeant(string typed) =>
        typed.Any(IsFullWidthAscii) ? string.Concat(typed.Select(c => IsFullWidthAscii(c) ? (char)(c - 0xFEE0) : c)) : typed;

    private static bool IsFullWidthAscii(char c) => c is >= '\uFF01' and <= '\uFF5E';
}
