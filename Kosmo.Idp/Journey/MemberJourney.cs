using Kosmo.Idp.Members;

namespace Kosmo.Idp.Journey;

/// <summary>
/// The one place that decides what a member must do next, from the member's stored state and
/// this session. Pages and the authorization endpoint ask it instead of checking flags.
/// </summary>
public static class MemberJourney
{
    public static JourneyStep Next(Member? member, MemberSession? session)
    {
        if (member is null || session is null || session.MemberId != member.Id)
        {
            return JourneyStep.SignIn;
        }

        return JourneyStep.Done;
    }

    public static string PathOf(JourneyStep step) => step switch
    {
        JourneyStep.SignIn => "/login",
        _ => "/",
    };
}
