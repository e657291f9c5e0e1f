namespace Kosmo.Idp.Journey;

/// <summary>
/// The pages a member walks through, in order. The first-login and MFA steps of the member
/// journey join this list; each has its own folder and one rule in <see cref="MemberJourney"/>.
/// </summary>
public enum JourneyStep
{
    SignIn,
    Done,
}
