using Kosmo.Idp.Shared;

namespace Kosmo.Idp.Tests.Journey;

/// <summary>English text quoting Japanese marks those words as Japanese, so an English screen-reader voice does not spell them out.</summary>
public sealed class JapaneseRunsTests
{
    [Test]
    public void JapaneseWordsInEnglishText_AreMarkedAsJapanese_AndTheRestIsEncoded()
    {
        var marked = JapaneseRuns.Marked("If you received a notice (資格情報のお知らせ), use symbol (記号) & number <番号>.");

        Assert.That(marked, Is.EqualTo(
            "If you received a notice (<span lang=\"ja\">資格情報のお知らせ</span>), use symbol (<span lang=\"ja\">記号</span>) &amp; number &lt;<span lang=\"ja\">番号</span>&gt;."));
    }

    [Test]
    public void AButtonLabelQuotedInAnEnglishMail_IsMarkedAsJapanese()
    {
        Assert.That(JapaneseRuns.Marked("Press the button above (メールアドレスを確認する) to confirm it."),
            Does.Contain("<span lang=\"ja\">メールアドレスを確認する</span>"));
    }

    [Test]
    public void AKanjiBeyondTheBasicPlane_StaysWholeInsideTheJapaneseRun()
    {
        // 𠮷 (U+20BB7), as in the family name 𠮷田, is two UTF-16 halves; the encoder writes it as a
        // character reference, which the browser shows as the kanji.
        Assert.That(JapaneseRuns.Marked("Name: 𠮷田 太郎."),
            Is.EqualTo("Name: <span lang=\"ja\">&#x20BB7;田 太郎</span>."));
    }

    [Test]
    public void AVariationSelectorChoosingAKanjisGlyph_StaysInsideTheJapaneseRun()
    {
        // 葛 followed by U+E0100, the glyph of 葛城 some families register.
        Assert.That(JapaneseRuns.Marked("Name: 葛\U000E0100西 様."), Does.Match("^Name: <span lang=\"ja\">葛[^<]+西 様</span>\\.$"));
    }
}
