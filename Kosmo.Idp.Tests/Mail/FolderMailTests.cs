using System.Text.RegularExpressions;
using Kosmo.Idp.Tests.Infrastructure;
using static Kosmo.Idp.Tests.Journey.JourneySteps;

namespace Kosmo.Idp.Tests.Mail;

/// <summary>
/// On a developer's machine mails go to a folder (Mail:Delivery=Folder): a text and an HTML file
/// per mail, and a log line that says where, but never what the mail carries.
/// </summary>
public sealed partial class FolderMailTests
{
    [Test]
    public async Task AMailedCode_IsWrittenToTheFolderAsTextAndHtml_AndTheLogSaysWhereButNotTheCode()
    {
        var folder = Directory.CreateTempSubdirectory("kosmo-mail-").FullName;
        await using var factory = await KosmoFactory.StartAsync(new Dictionary<string, string?>
        {
            ["Mail:Delivery"] = "Folder",
            ["Mail:Folder"] = folder,
        });
        try
        {
            await TestMembers.AddAsync(factory, "F0001", "Folder-Mail-2026");
            var browser = factory.Browser();
            await LoginAsync(browser, "F0001", "Folder-Mail-2026");
            await browser.GetAsync("/journey/otp");

            var text = Directory.GetFiles(folder, "*.txt").Single();
            Assert.That(File.Exists(Path.ChangeExtension(text, ".html")), "the HTML part beside the text");
            var mail = await File.ReadAllTextAsync(text);
            Assert.That(mail, Does.Contain("To: f0001@example.jp").And.Contain("Subject: 【KOSMOWeb】ワンタイムパスワードのお知らせ"));
            var code = CodeLine().Match(mail).Groups["code"].Value;
            Assert.That(code, Has.Length.EqualTo(6), mail);

            Assert.That(factory.Logs.Events, Has.Some.Contains("written to").And.Contains(text));
            Assert.That(factory.Logs.Events.Where(e => Regex.IsMatch(e, $@"(?<!\d){code}(?!\d)")), Is.Empty, "the code stays in the file");
            Assert.That(factory.Mail.Mails, Is.Empty, "nothing went to SendGrid");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Test]
    public async Task AFolderThatCannotBeWritten_IsAMailNotSent_SaidOnThePage_AndTheSendIsGivenBack()
    {
        // A file where the folder should be: no folder can be made there, not even by root.
        var blocked = Path.GetTempFileName();
        await using var factory = await KosmoFactory.StartAsync(new Dictionary<string, string?>
        {
            ["Mail:Delivery"] = "Folder",
            ["Mail:Folder"] = blocked,
        });
        try
        {
            await TestMembers.AddAsync(factory, "F0034", "Folder-Mail-2026");
            var browser = factory.Browser();
            await LoginAsync(browser, "F0034", "Folder-Mail-2026");
            var page = await browser.GetAsync("/journey/otp");

            Assert.That(page.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.OK), "not the error page");
            Assert.That(ErrorOn(await page.Content.ReadAsStringAsync(), "otp-send-error"), Does.Contain("ただいまメールを送信できません"));
            var challenge = await TestMembers.WithDbAsync(factory, db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleOrDefaultAsync(db.EmailOtpChallenges));
            Assert.That(challenge is null || challenge.SendsInWindow == 0, "no mail went out, so none is counted");
        }
        finally
        {
            File.Delete(blocked);
        }
    }

    [GeneratedRegex(@"^(?<code>\d{6})\s*$", RegexOptions.Multiline)]
    private static partial Regex CodeLine();
}
