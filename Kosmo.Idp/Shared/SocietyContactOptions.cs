using System.ComponentModel.DataAnnotations;

namespace Kosmo.Idp.Shared;

/// <summary>
/// How members reach the society (a desk's telephone number and hours, a web page). Pages and mails
/// tell members to contact the society when they are locked out, forgot the password or see a change
/// they did not make; this line says how, under every page and in every account notice.
/// </summary>
public sealed class SocietyContactOptions : IValidatableObject
{
    public const string Section = "Society";

    public const int MaxLength = 200;

    /// <summary>One line, e.g. 「○○健康保険組合 適用グループ 03-1234-5678（平日 9:00〜17:00）」.</summary>
    [MaxLength(MaxLength)]
    public string? Contact { get; set; }

    /// <summary>The same for English pages and the English half of mails; without it they show <see cref="Contact"/>.</summary>
    [MaxLength(MaxLength)]
    public string? EnglishContact { get; set; }

    public string? Japanese => string.IsNullOrWhiteSpace(Contact) ? null : Contact.Trim();

    public string? English => string.IsNullOrWhiteSpace(EnglishContact) ? Japanese : EnglishContact.Trim();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // Shown on every page and in mails: one line of plain text, with no line separator, direction
        // mark or other character that prints as nothing.
        foreach (var (name, value) in new[] { (nameof(Contact), Contact), (nameof(EnglishContact), EnglishContact) })
        {
            if (value is not null && !PlainText.IsVisibleLine(value))
            {
                yield return new ValidationResult($"{Section}:{name} must be one line of plain text (no control, line-separator or direction characters).", [name]);
            }
        }

        // Japanese pages and every mail show Contact: an English line alone would reach only English pages.
        if (Japanese is null && !string.IsNullOrWhiteSpace(EnglishContact))
        {
            yield return new ValidationResult($"{Section}:EnglishContact needs {Section}:Contact, which Japanese pages and every mail show.", [nameof(Contact)]);
        }
    }
}
