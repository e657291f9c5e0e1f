using System.Globalization;
using System.Resources;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using Kosmo.Idp.Localization;

namespace Kosmo.Idp.Mail;

/// <summary>
/// A mail text from the pages' resources (Strings.resx, Strings.en.resx) in both languages. Mails
/// go out Japanese first with the English below, subject in Japanese: the member's language is a
/// browser cookie, unknown to an operator's command, and the society writes to its members in
/// Japanese. A value's lines are separated by line breaks.
/// </summary>
public readonly record struct MailText(string Japanese, string English)
{
    private static readonly ResourceManager Resources = new("Kosmo.Idp.Localization.Strings", typeof(Strings).Assembly);

    /// <summary>Encodes what HTML needs encoded, and leaves Japanese as it is (the default encoder would write every kana as an entity).</summary>
    public static HtmlEncoder Html { get; } = HtmlEncoder.Create(UnicodeRanges.All);

    public static MailText Of(string key, params object[] arguments) =>
        new(Format(key, LocalizationRegistration.JapaneseCulture, arguments), Format(key, LocalizationRegistration.EnglishCulture, arguments));

    private static string Format(string key, CultureInfo culture, object[] arguments)
    {
        var text = Resources.GetString(key, culture) ?? throw new InvalidOperationException($"No mail text {key}.");
        return arguments.Length == 0 ? text : string.Format(culture, text, arguments);
    }
}
