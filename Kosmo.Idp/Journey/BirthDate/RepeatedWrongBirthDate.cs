using Kosmo.Idp.Members;

namespace Kosmo.Idp.Journey.BirthDate;

/// <summary>
/// The wrong birthdate this sign-in sent last. A reload after a refusal ("resend the form?"), or a
/// second tap while the first answer is on its way, sends the same date again: counted twice, one
/// typo and two resends would take most of the five tries, and the lock that follows needs a call
/// to the society. The same wrong date again, from the same sign-in, is answered without counting;
/// it tells a guesser nothing new. Kept on the member, not in a cookie: the second tap's request
/// left before the first one's answer (and its cookie) came back. Another sign-in's same wrong
/// date counts, as a guesser's would.
/// </summary>
public static class RepeatedWrongBirthDate
{
    public static bool IsRepeat(Member member, MemberSession session, DateOnly typed) =>
        StampOf(session, typed) is { } stamp && member.WrongBirthDateStamp == stamp;

    public static void Remember(Member member, MemberSession session, DateOnly typed) => member.WrongBirthDateStamp = StampOf(session, typed);

    public static void Forget(Member member) => member.WrongBirthDateStamp = null;

    private static string? StampOf(MemberSession session, DateOnly typed) =>
        session.StampOf(typed.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture));
}
