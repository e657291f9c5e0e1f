using System.ComponentModel.DataAnnotations;

namespace Kosmo.Idp.Members.Otp;

public sealed class OtpOptions
{
    public const string Section = "Otp";

    /// <summary>The issuer authenticator apps show above the account (otpauth "issuer").</summary>
    [Required, MaxLength(40)]
    public string Issuer { get; set; } = "KOSMO Web";

    [Required]
    public string EmailSubject { get; set; } = "【KOSMOWeb】ワンタイムパスワードのお知らせ";

    [Range(typeof(TimeSpan), "00:01:00", "00:10:00")]
    public TimeSpan EmailCodeLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Wrong codes allowed per hour; the code in use dies at the limit and resends do not restore it.</summary>
    [Range(1, 10)]
    public int EmailMaximumFailures { get; set; } = 5;

    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan EmailResendCooldown { get; set; } = TimeSpan.FromSeconds(30);

    [Range(1, 20)]
    public int EmailMaximumSendsPerHour { get; set; } = 5;

}
