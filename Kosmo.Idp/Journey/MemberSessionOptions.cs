using System.ComponentModel.DataAnnotations;

namespace Kosmo.Idp.Journey;

/// <summary>
/// How long a member's session on the provider lasts. The defaults are NIST SP 800-63B's for AAL2
/// (section 7.2): a new sign-in after 30 minutes without a request, and at least every 12 hours
/// however busy the session is.
/// </summary>
public sealed class MemberSessionOptions : IValidatableObject
{
    public const string Section = "Session";

    [Range(typeof(TimeSpan), "00:05:00", "12:00:00")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Counted from the last time the member typed their password and code (login, or 本人確認).</summary>
    [Range(typeof(TimeSpan), "01:00:00", "7.00:00:00")]
    public TimeSpan ReauthenticateAfter { get; set; } = TimeSpan.FromHours(12);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (IdleTimeout > ReauthenticateAfter)
        {
            yield return new ValidationResult("Session:IdleTimeout cannot be longer than Session:ReauthenticateAfter.",
                [nameof(IdleTimeout), nameof(ReauthenticateAfter)]);
        }
    }
}
