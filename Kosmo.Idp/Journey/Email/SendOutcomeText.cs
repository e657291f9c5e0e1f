using Kosmo.Idp.Localization;
using Microsoft.Extensions.Localization;
using Kosmo.Idp.Shared;

namespace Kosmo.Idp.Journey.Email;

/// <summary>What a member is told when a verification mail was not sent, on the journey and on the account page alike.</summary>
public static class SendOutcomeText
{
    public static string For(SendOutcome outcome, IStringLocalizer<Strings> text) => outcome.Status switch
    {
        SendStatus.CoolingDown => text["Email.CoolingDown", Wait.WholeSeconds(outcome.RetryAfter!.Value)],
        SendStatus.HourlyLimitReached => text["Email.HourlyLimit"],
        SendStatus.AddressRefused => text["Email.AddressRefused"],
        _ => text["Email.MailUnavailable"],
    };
}
