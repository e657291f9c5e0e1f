using Kosmo.Idp.Localization;
using Microsoft.Extensions.Localization;

namespace Kosmo.Idp.Journey.Email;

/// <summary>What a member is told when a verification mail was not sent, on the journey and on the account page alike.</summary>
public static class SendOutcomeText
{
    public static string For(SendOutcome outcome, IStringLocalizer<Strings> text) => outcome.Status switch
    {
        SendStatus.CoolingDown => text["Email.CoolingDown", Math.Max(1, (int)Math.Ceiling(outcome.RetryAfter!.Value.TotalSeconds))],
        SendStatus.HourlyLimitReached => text["Email.HourlyLimit"],
        _ => text["Email.MailUnavailable"],
    };
}
