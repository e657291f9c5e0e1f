using System.ComponentModel.DataAnnotations;

namespace Kosmo.Idp.Protocol.Logout;

/// <summary>How logout tokens reach relying apps (section <c>BackchannelLogout</c>).</summary>
public sealed class BackchannelLogoutOptions
{
    public const string Section = "BackchannelLogout";

    /// <summary>How long one post waits for the app's answer. A member's sign-out posts to up to 8 apps at once and waits for them.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:00:30")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long an app that does not accept a logout token is tried again (30 s, 1 min, 2 min, … at
    /// most every 30 min). Twelve hours by default: after that, an app's session could not have
    /// been refreshed anyway (<c>Session:ReauthenticateAfter</c>).
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromHours(12);

    /// <summary>How often each replica looks for notices that are due; one replica at a time sends them.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Notices taken per pass. Each pass sends them a few at a time, so a few thousand after signing everyone out go out within minutes.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 500;
}
