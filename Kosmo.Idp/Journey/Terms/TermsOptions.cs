using System.ComponentModel.DataAnnotations;

namespace Kosmo.Idp.Journey.Terms;

/// <summary>
/// The terms of use members must accept. Changing <see cref="Version"/> asks every member again
/// at their next login; the texts are plain-text files so the society can edit them without a release.
/// </summary>
public sealed class TermsOptions
{
    public const string Section = "Terms";

    [Required, MaxLength(64)]
    public string Version { get; set; } = "";

    /// <summary>Japanese text, relative to the content root or absolute.</summary>
    [Required]
    public string JapaneseFile { get; set; } = "";

    /// <summary>English text; the Japanese text is shown when this is missing.</summary>
    public string? EnglishFile { get; set; }
}
