namespace Kosmo.Idp.Journey.Password;

/// <summary>
/// How many throttled form posts one client address (an IPv6 /64) made in one minute. Kept in the
/// database, not in process memory, so that N replicas behind a load balancer allow the configured
/// number of posts, not N times it.
/// </summary>
public sealed class AddressPostCount
{
    public required string Address { get; set; }

    /// <summary>The window: minutes since the Unix epoch (a number, so both databases compare it alike in SQL).</summary>
    public long WindowMinute { get; set; }

    public int Posts { get; set; }
}
