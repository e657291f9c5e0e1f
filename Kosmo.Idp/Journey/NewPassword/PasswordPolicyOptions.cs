using System.ComponentModel.DataAnnotations;

namespace Kosmo.Idp.Journey.NewPassword;

/// <summary>The society's password rule (英数から最低1文字以上使用し、8文字以上), configurable.</summary>
public sealed class PasswordPolicyOptions
{
    public const string Section = "PasswordPolicy";

    [Range(8, 64)]
    public int MinimumLength { get; set; } = 8;

    /// <summary>At least 64, so members can use a password manager's long passwords.</summary>
    [Range(64, 256)]
    public int MaximumLength { get; set; } = 128;

    public bool RequireLetter { get; set; } = true;

    public bool RequireDigit { get; set; } = true;
}
