using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Html;

namespace Kosmo.Idp.Shared;

/// <summary>
/// English text that quotes Japanese (the paper notice's name 資格情報のお知らせ, a button's label):
/// the Japanese runs are marked lang="ja", so that an English screen-reader voice hands them to a
/// Japanese one instead of spelling them out (WCAG 3.1.2). Everything else is HTML-encoded as usual.
/// </summary>
public static class JapaneseRuns
{
    // Japanese stays readable in the markup (and in a mail's source); only what HTML needs is escaped.
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(System.Text.Unicode.UnicodeRanges.All);

    public static string Marked(string text)
    {
        var html = new StringBuilder();
        var start = 0;
        while (start < text.Length)
        {
            var japanese = IsJapaneseAt(text, start);
            var end = start;
            // Spaces and the punctuation between two Japanese words stay inside the run, and so does a
            // variation selector, which picks the glyph of the kanji before it (葛󠄀 of a family name).
            while (end < text.Length && (IsJapaneseAt(text, end) == japanese || IsVariationSelectorAt(text, end)
                || (japanese && text[end] == ' ' && end + 1 < text.Length && IsJapaneseAt(text, end + 1))))
            {
                end += char.IsSurrogatePair(text, end) ? 2 : 1;
            }

            var run = Encoder.Encode(text[start..end]);
            html.Append(japanese ? $"<span lang=\"ja\">{run}</span>" : run);
            start = end;
        }

        return html.ToString();
    }

    /// <summary>For a page: marked on English pages; a Japanese page (lang="ja" already) gets the text as it is.</summary>
    public static IHtmlContent Html(string text) =>
        new HtmlString(Localization.LocalizationRegistration.IsEnglish ? Marked(text) : Encoder.Encode(text));

    private static bool IsVariationSelectorAt(string text, int index) =>
        char.IsSurrogatePair(text, index)
            ? char.ConvertToUtf32(text, index) is >= 0xE0100 and <= 0xE01EF
            : text[index] is >= '\uFE00' and <= '\uFE0F';

    // Kana, CJK ideographs and their punctuation, full-width forms; and the rarer kanji of names
    // (𠮷, 𩸽) beyond the Basic Multilingual Plane, which a string holds as two UTF-16 halves.
    private static bool IsJapaneseAt(string text, int index)
    {
        if (char.IsSurrogatePair(text, index))
        {
            return char.ConvertToUtf32(text, index) is >= 0x20000 and <= 0x3FFFF;
        }

        return text[index] is >= '\u3000' and <= '\u30FF' or >= '\u3400' and <= '\u9FFF' or >= '\uFF00' and <= '\uFFEF' or >= '\uF900' and <= '\uFAFF';
    }
}
