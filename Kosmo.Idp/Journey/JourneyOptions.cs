using System.ComponentModel.DataAnnotations;

namespace Kosmo.Idp.Journey;

public sealed class JourneyOptions
{
    public const string Section = "Journey";

    /// <summary>Wrong birthdates allowed before the account is locked until the society unlocks it.</summary>
    [Range(1, 20)]
    public int BirthDateAttempts { get; set; } = 5;
}
