using System.ComponentModel.DataAnnotations;

namespace Kosmo.Idp.Journey.Email;

public sealed class EmailVerificationOptions
{
    public const string Section = "EmailVerification";

    /// <summary>How long a verification link can be opened.</summary>
    [Range(typeof(TimeSpan), "00:05:00", "2.00:00:00")]
    public TimeSpan LinkLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The least time between two mails to one member, so the button cannot flood an inbox.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ResendCooldown { get; set; } = TimeSpan.FromMinutes(1);

    [Range(1, 50)]
    public int MaximumSendsPerHour { get; set; } = 5;
}
