using System.Buffers.Binary;
using System.Text.RegularExpressions;
using Kosmo.Idp.Tests.Infrastructure;

namespace Kosmo.Idp.Tests.Docs;

/// <summary>
/// docs/member-guide.md is illustrated by the browser tests' own screenshots
/// (docs/member-guide/&lt;set&gt;/&lt;page&gt;.png, written with KOSMO_GUIDE_PICTURES=1): every picture
/// it shows is there, each set is one a browser test writes, and each is Chromium's capture of a
/// PC (1280 px) or phone (390 px at 2×) page.
/// </summary>
public sealed partial class MemberGuideTests
{
    private static readonly string Guide = Path.Combine(RepositoryPaths.Root, "docs", "member-guide.md");

    [Test]
    public void EveryPictureTheGuideShows_IsABrowserTestsScreenshotInTheRepository()
    {
        var pictures = Pictures().ToList();
        Assert.That(pictures, Has.Count.GreaterThanOrEqualTo(20), "the guide walks the member through every page");
        var testSources = string.Concat(Directory.GetFiles(Path.Combine(RepositoryPaths.TestProject, "Browser"), "*.cs").Select(File.ReadAllText));

        Assert.Multiple(() =>
        {
            foreach (var picture in pictures)
            {
                var file = Path.Combine(RepositoryPaths.Root, "docs", picture);
                Assert.That(File.Exists(file), Is.True, $"{picture} is missing: regenerate with KOSMO_GUIDE_PICTURES=1 dotnet test --filter Category=Browser");
                if (!File.Exists(file))
                {
                    continue;
                }

                // Sets are named MemberPages.GuideSet(name, language): "<name>-ja", "<name>-en".
                var set = picture.Split('/')[1];
                Assert.That(set, Does.EndWith("-ja").Or.EndWith("-en"), picture);
                Assert.That(testSources, Does.Contain($"\"{set[..^3]}\""), $"{picture}: no browser test writes the set {set}");
                var page = Path.GetFileNameWithoutExtension(picture);
                Assert.That(testSources, Does.Contain($"\"{page}\""), $"{picture}: no browser test takes a picture named {page} (renamed? retake the pictures)");
                Assert.That(PngWidth(file), Is.EqualTo(1280).Or.EqualTo(780), $"{picture} is not a screenshot of the tests' PC or phone");
            }
        });
    }

    [Test]
    public void TheGuide_IsJapaneseFirst_WithAnEnglishSection()
    {
        var text = File.ReadAllText(Guide);
        var english = text.IndexOf("English guide", StringComparison.Ordinal);

        Assert.That(english, Is.GreaterThan(0), "an English section");
        Assert.That(text[..english], Does.Contain("ログイン").And.Contain("ワンタイムパスワード"));
        Assert.That(Pictures().Where(p => p.Contains("-en/", StringComparison.Ordinal)), Is.Not.Empty, "English pages illustrate the English section");
    }

    private static IEnumerable<string> Pictures() =>
        PictureLink().Matches(File.ReadAllText(Guide)).Select(m => m.Groups[1].Value).Distinct();

    /// <summary>The width in a PNG's header chunk (bytes 16-19, big-endian).</summary>
    private static int PngWidth(string file)
    {
        Span<byte> header = stackalloc byte[24];
        using var stream = File.OpenRead(file);
        stream.ReadExactly(header);
        Assert.That(header[1..4].ToArray(), Is.EqualTo("PNG"u8.ToArray()), file + " is not a PNG");
        return BinaryPrimitives.ReadInt32BigEndian(header[16..20]);
    }

    [GeneratedRegex(@"!\[[^\]]*\]\((member-guide/[^)\s]+\.png)\)")]
    private static partial Regex PictureLink();
}
