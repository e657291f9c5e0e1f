using System.ComponentModel.DataAnnotations;

namespace Kosmo.Idp.Journey.Password;

public sealed class AddressThrottleOptions
{
    public const string Section = "RateLimits";

    /// <summary>Login (and verification-link) form posts allowed per client address per one-minute window.</summary>
    [Range(1, 1_000_000)]
    public int LoginPostsPerMinutePerAddress { get; set; } = 30;
}
