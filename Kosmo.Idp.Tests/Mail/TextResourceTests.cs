using System.Text.RegularExpressions;
using System.Xml.Linq;
using Kosmo.Idp.Mail;
using Kosmo.Idp.Mail.Notices;
using Kosmo.Idp.Tests.Infrastructure;

namespace Kosmo.Idp.Tests.Mail;

/// <summary>Every text a member reads, on a page or in a mail, exists in Japanese and English alike.</summary>
public sealed partial class TextResourceTests
{
    private static Dictionary<string, string> Read(string file) =>
        XDocument.Load(Path.Combine(RepositoryPaths.Root, "Kosmo.Idp", "Localization", file)).Root!.Elements("data")
            .ToDictionary(d => (string)d.Attribute("name")!, d => (string)d.Element("value")!);

    [Test]
    public void EveryJapaneseText_HasAnEnglishOne_WithTheSamePlaceholders_AndNoneIsEmpty()
    {
        var japanese = Read("Strings.resx");
        var english = Read("Strings.en.resx");

        Assert.That(english.Keys.Order(), Is.EqualTo(japanese.Keys.Order()), "the same keys in both files");
        Assert.Multiple(() =>
        {
            foreach (var (key, value) in japanese)
            {
                Assert.That(value.Trim(), Is.Not.Empty, key);
                Assert.That(english[key].Trim(), Is.Not.Empty, key + " (en)");
                Assert.That(Placeholders(english[key]), Is.EqualTo(Placeholders(value)), key);
            }
        });
    }

    [Test]
    public void EveryNoticeAMemberCanBeSent_HasItsText_InBothLanguages()
    {
        var subjects = new HashSet<string>();
        foreach (var notice in Enum.GetValues<MemberNotice>())
        {
            var mail = MemberNoticeMail.Create("member@example.jp", notice, new DateTimeOffset(2026, 11, 27, 15, 35, 0, TimeSpan.Zero));
            Assert.That(mail.Text, Does.Contain("----").And.Contain("health insurance society"), notice.ToString());
            Assert.That(mail.Text, Does.Contain("日時: 2026年11月28日 0:35（日本時間）").And.Contain("When: 28 Nov 2026, 00:35 Japan time"), notice + ": when, in Japan");
            Assert.That(mail.Subject, Does.Match("^【KOSMOWeb】アカウントのお知らせ（[^）{}]+）$"), notice + ": the common beginning, then what happened");
            Assert.That(mail.Html, Does.Contain("<p lang=\"en\">"), notice.ToString());
            Assert.That(mail.Html, Does.Contain("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"), notice + ": fits a phone's screen");
            Assert.That(subjects.Add(mail.Subject), Is.True, notice + ": a subject of its own");
        }
    }

    [Test]
    public void ANoticeSaysHowToReachTheSociety_WhenTheSocietyConfiguredIt()
    {
        var at = new DateTimeOffset(2026, 11, 27, 15, 35, 0, TimeSpan.Zero);
        var society = new Kosmo.Idp.Shared.SocietyContactOptions { Contact = "適用グループ 03-1234-5678", EnglishContact = "Membership desk +81-3-1234-5678" };

        var told = MemberNoticeMail.Create("member@example.jp", MemberNotice.PasswordChanged, at, society);
        var silent = MemberNoticeMail.Create("member@example.jp", MemberNotice.PasswordChanged, at);

        Assert.That(told.Text, Does.Contain("お問い合わせ先: 適用グループ 03-1234-5678").And.Contain("Contact: Membership desk +81-3-1234-5678"));
        Assert.That(told.Html, Does.Contain("お問い合わせ先: 適用グループ 03-1234-5678").And.Contain("Contact: Membership desk"));
        Assert.That(silent.Text, Does.Not.Contain("お問い合わせ先").And.Contain("健康保険組合にお問い合わせください"));
    }

    // The index and alignment only: a format may differ by language (a date's pattern, say).
    private static List<string> Placeholders(string text) => Placeholder().Matches(text).Select(m => m.Groups[1].Value).Order().ToList();

    [GeneratedRegex(@"\{(\d+(?:,-?\d+)?)(?::[^}]*)?\}")]
    private static partial Regex Placeholder();
}
