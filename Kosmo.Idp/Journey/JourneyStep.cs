namespace Kosmo.Idp.Journey;

/// <summary>
/// The pages a member walks through, in the manual's order. Each has its own folder and one
/// rule in <see cref="MemberJourney"/>; the MFA steps join before <see cref="Done"/>.
/// </summary>
public enum JourneyStep
{
    SignIn,
    ConfirmBirthDate,
    AcceptTerms,
    VerifyEmail,
    ChooseOtpMethod,
    NewPassword,
    SetUpAppOtp,
    OtpChallenge,
    ConfirmIdentity,
    SaveRecoveryCodes,
    Done,
}
