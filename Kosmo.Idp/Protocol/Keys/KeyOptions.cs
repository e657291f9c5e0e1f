using System.ComponentModel.DataAnnotations;

namespace Kosmo.Idp.Protocol.Keys;

public sealed class KeyOptions
{
    public const string Section = "Keys";

    /// <summary>
    /// How long a rotated signing key is published before it signs. Relying apps refresh a cached
    /// JWKS about twice a day (Microsoft.IdentityModel's default is 12 h), so a day covers them.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00")]
    public TimeSpan SigningKeyAnnouncement { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How often each replica re-reads the keys, to see rotations made by another process.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(1);
}
