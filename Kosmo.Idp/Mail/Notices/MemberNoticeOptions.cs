using System.ComponentModel.DataAnnotations;

namespace Kosmo.Idp.Mail.Notices;

/// <summary>How notices of account changes reach members when the mail provider fails (section <c>Mail:Notices</c>).</summary>
public sealed class MemberNoticeOptions
{
    public const string Section = "Mail:Notices";

    /// <summary>
    /// How long a notice the provider did not take is tried again (1 min, 2 min, 4 min, … at most
    /// every 30 min). A day by default: a notice of a password or address change is how a member
    /// learns of a change they did not make, worth getting out late rather than not at all.
    /// </summary>
    [Range(typeof(TimeSpan), "00:10:00", "7.00:00:00")]
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How often each replica looks for notices that are due again.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);
}
