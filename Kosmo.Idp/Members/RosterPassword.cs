using System.Security.Cryptography;
using System.Text;

namespace Kosmo.Idp.Members;

/// <summary>
/// The initial password of members who joined before the society's cut-off date:
/// 記号 + 番号 + 生年月日(YYYYMMDD), e.g. 123 + 4567 + 19841007 → 123456719841007.
/// </summary>
public static class RosterPassword
{
    public static string? For(Member member) =>
        member is { Symbol: { } symbol, Number: { } number, BirthDate: { } birthDate }
            ? symbol + number + birthDate.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture)
            : null;

    /// <summary>Constant-time comparison, so the time taken does not reveal how much of the guess was right.</summary>
    public static bool Matches(Member member, string password) =>
        For(member) is { } expected
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(password));
}
