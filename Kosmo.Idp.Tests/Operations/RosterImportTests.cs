using Kosmo.Idp.Journey.Email;
using System.Text;
using Kosmo.Idp.Members;
using Kosmo.Idp.Operations.Roster;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static Kosmo.Idp.Tests.Journey.JourneySteps;

namespace Kosmo.Idp.Tests.Operations;

[NonParallelizable] // the command-line tests set environment variables and the console, as an operator's shell would
public sealed class RosterImportTests
{
    private const string OldMember = "K0001,123,4567,1984-10-07,山田 太郎,2010-04-01,taro@example.jp";
    private const string NewMember = "K0002,123,4568,1990-05-05,佐藤 花子,2026-04-01,";

    private RosterFiles _files = null!;

    [SetUp]
    public void CreateFolder() => _files = new RosterFiles();

    [TearDown]
    public void RemoveFolder() => _files.Dispose();

    [Test]
    public async Task Utf8WithByteOrderMark_AndJapaneseColumnNames_LoadsJapaneseNamesIntact()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var file = _files.Write([RosterFiles.JapaneseHeader, OldMember], new UTF8Encoding(true), byteOrderMark: true);

        var (result, output, _) = await ImportAsync(factory, file);

        Assert.That(result.ExitCode, Is.EqualTo(RosterImportExit.Success));
        Assert.That(output, Does.Contain("UTF-8 with BOM"));
        var member = await FindAsync(factory, "K0001");
        Assert.That(member.DisplayName, Is.EqualTo("山田 太郎"));
        Assert.That(member.RosterEmail, Is.EqualTo("taro@example.jp"));
        Assert.That(member.Email, Is.Null, "the roster address is only a suggestion until verified");
    }

    [Test]
    public async Task Utf8WithoutByteOrderMark_LoadsJapaneseNamesIntact()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var file = _files.Write([RosterFiles.EnglishHeader, OldMember]);

        var (result, output, _) = await ImportAsync(factory, file);

        Assert.That(result.ExitCode, Is.EqualTo(RosterImportExit.Success));
        Assert.That(output, Does.Contain("(UTF-8)"));
        Assert.That((await FindAsync(factory, "K0001")).DisplayName, Is.EqualTo("山田 太郎"));
    }

    [Test]
    public async Task ShiftJis_IsDetectedWithoutBeingNamed_AndLoadsJapaneseNamesIntact()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var file = _files.Write([RosterFiles.JapaneseHeader, OldMember, "K0003,123,4569,1975-01-31,髙橋 一郎,1999-04-01,"], RosterFiles.ShiftJis);

        var (result, output, _) = await ImportAsync(factory, file);

        Assert.That(result.ExitCode, Is.EqualTo(RosterImportExit.Success));
        Assert.That(output, Does.Contain("Shift_JIS"));
        Assert.That((await FindAsync(factory, "K0001")).DisplayName, Is.EqualTo("山田 太郎"));
        Assert.That((await FindAsync(factory, "K0003")).DisplayName, Is.EqualTo("髙橋 一郎"), "a Windows-31J (code page 932) extension character");
    }

    [Test]
    public void AFileNoEncodingReads_NamesTheLineAndBytesItStopsAt()
    {
        // Shift_JIS, with one character in a row (0x85) that code page 932 leaves unassigned, on line 3.
        var shiftJis = RosterFiles.ShiftJis;
        var bytes = shiftJis.GetBytes(RosterFiles.JapaneseHeader + "\n" + OldMember + "\n" + "K0003,123,4569,1975-01-31,")
            .Concat(new byte[] { 0x85, 0x40 }).Concat(shiftJis.GetBytes("橋 一郎,1999-04-01,\n")).ToArray();

        var detected = Assert.Throws<RosterFileException>(() => RosterFile.Decode(bytes, null))!;
        Assert.That(detected.Message, Does.Contain("neither UTF-8 nor Shift_JIS").And.Contain("at line 3 (bytes 85"));
        var forced = Assert.Throws<RosterFileException>(() => RosterFile.Decode(bytes, RosterFile.ShiftJis))!;
        Assert.That(forced.Message, Does.Contain("not valid shift_jis at line 3"));
    }

    [Test]
    public async Task EncodingOption_OverridesDetection()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var file = _files.Write([RosterFiles.JapaneseHeader, OldMember], RosterFiles.ShiftJis);

        var (exit, _, errors) = await OperatorShell.RunAsync(factory.ConnectionString, "members", "import", file, "--encoding", "utf-8", "--notices", _files.NoticePath);
        Assert.That(exit, Is.EqualTo(RosterImportExit.Failed));
        Assert.That(errors, Does.Contain("not valid utf-8"));

        (exit, _, errors) = await OperatorShell.RunAsync(factory.ConnectionString, "members", "import", file, "--encoding", "shift_jis", "--notices", _files.NoticePath);
        Assert.That(exit, Is.EqualTo(RosterImportExit.Success), errors);
        Assert.That((await FindAsync(factory, "K0001")).DisplayName, Is.EqualTo("山田 太郎"));
    }

    [Test]
    public async Task FullWidthDigits_AndEveryDateLayout_AreNormalized()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var file = _files.Write([RosterFiles.EnglishHeader, " K0001 ,１２３,４５６７,1984/10/7,山田 太郎,20100401,", "K0004,9,1,1970/01/02,鈴木 次郎,2001-04-01,"]);

        var (result, _, errors) = await ImportAsync(factory, file);

        Assert.That(result.ExitCode, Is.EqualTo(RosterImportExit.Success), errors);
        var member = await FindAsync(factory, "K0001");
        Assert.That((member.Symbol, member.Number, member.BirthDate, member.JoinedOn),
            Is.EqualTo(("123", "4567", (DateOnly?)new DateOnly(1984, 10, 7), (DateOnly?)new DateOnly(2010, 4, 1))));
    }

    [Test]
    public async Task ABabyBornToday_InJapan_IsAccepted_WhileTheServersUtcDateIsStillYesterday()
    {
        // 01:00 on 27 November in Japan is 16:00 on the 26th in UTC, the containers' zone.
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 16, 0, 0, TimeSpan.Zero));
        await using var factory = await KosmoFactory.StartAsync(services: services => services.AddSingleton<TimeProvider>(clock));
        var file = _files.Write([RosterFiles.EnglishHeader, "K0005,123,4570,2026-11-27,山田 一子,2026-11-27,", "K0006,123,4571,2026-11-28,山田 二子,2026-11-28,"]);

        var (result, _, errors) = await ImportAsync(factory, file);

        Assert.That(errors, Does.Not.Contain("line 2:"));
        Assert.That(errors, Does.Contain("line 3: birthdate 2026-11-28 is in the future"));
        Assert.That(result.ExitCode, Is.EqualTo(RosterImportExit.Failed));
    }

    [Test]
    public async Task ColumnsInAnyOrder_WithoutTheEmailColumn_AreReadByName()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var file = _files.Write(["氏名,生年月日,ユーザID,番号,記号,資格取得日", "山田 太郎,1984-10-07,K0001,4567,123,2010-04-01"]);

        var (result, _, errors) = await ImportAsync(factory, file);

        Assert.That(result.ExitCode, Is.EqualTo(RosterImportExit.Success), errors);
        var member = await FindAsync(factory, "K0001");
        Assert.That((member.DisplayName, member.Symbol, member.Number, member.RosterEmail), Is.EqualTo(("山田 太郎", "123", "4567", (string?)null)));
    }

    [Test]
    public async Task AnEmptyFile_IsRefused_AskingForTheHeader()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var file = _files.Write([]);

        var (result, _, errors) = await ImportAsync(factory, file);

        Assert.That(result.ExitCode, Is.EqualTo(RosterImportExit.Failed));
        Assert.That(errors, Does.Contain("the first line must be the header"));
    }

    [Test]
    public async Task MemberWhoJoinedBeforeTheCutOff_GetsTheRosterRulePassword_UnhashedAndToBeChanged()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var file = _files.Write([RosterFiles.EnglishHeader, OldMember]);

        var (result, _, _) = await ImportAsync(factory, file);

        var member = await FindAsync(factory, "K0001");
        Assert.That(member.PasswordHash, Is.Null);
        Assert.That(member.PasswordMustChange, Is.True);
        var hashing = factory.Services.GetRequiredService<PasswordHashing>();
        Assert.That(hashing.Check(member, "123456719841007"), Is.EqualTo(PasswordCheck.Correct));
        Assert.That(result.RandomPasswords, Is.Zero);
        Assert.That(File.Exists(_files.NoticePath), Is.False, "no notice without random passwords");
    }

    [Test]
    public async Task MemberWhoJoinedOnOrAfterTheCutOff_GetsARandomPassword_OnTheNoticeFileOnly()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var file = _files.Write([RosterFiles.EnglishHeader, OldMember, NewMember]);

        var (result, output, errors) = await ImportAsync(factory, file);

        Assert.That(result.RandomPasswords, Is.EqualTo(1));
        Assert.That(result.NoticePath, Is.EqualTo(_files.NoticePath));
        Assert.That(output, Does.Contain(_files.NoticePath));
        var bytes = await File.ReadAllBytesAsync(_files.NoticePath);
        Assert.That(bytes.Take(3), Is.EqualTo(new byte[] { 0xEF, 0xBB, 0xBF }), "Excel needs the BOM for Japanese");
        var lines = Encoding.UTF8.GetString(bytes.AsSpan(3)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(2), "header and one line per member with a random password");
        Assert.That(lines[0], Is.EqualTo("user_id,name,symbol,number,initial_password"));
        var fields = lines[1].Split(',');
        Assert.That(fields[..4], Is.EqualTo(new[] { "K0002", "佐藤 花子", "123", "4568" }));
        var password = fields[4];
        Assert.That(password, Has.Length.EqualTo(12));
        Assert.That(password.All(InitialPasswords.Alphabet.Contains), Is.True, "no look-alike characters");
        if (!OperatingSystem.IsWindows())
        {
            Assert.That(File.GetUnixFileMode(_files.NoticePath), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        }

        var member = await FindAsync(factory, "K0002");
        Assert.That(member.PasswordMustChange, Is.True);
        Assert.That(factory.Services.GetRequiredService<PasswordHashing>().Check(member, password), Is.EqualTo(PasswordCheck.Correct));
        Assert.That(output + errors, Does.Not.Contain(password));
        Assert.That(factory.Logs.Events, Has.Some.Contains("Roster"), "the summary was logged");
        Assert.That(factory.Logs.Events.Where(e => e.Contains(password, StringComparison.Ordinal)), Is.Empty, "the password leaked into the log");
    }

    [Test]
    public async Task AFileWithoutTheEmailColumn_KeepsTheAddressesAnEarlierRosterGave_WhileAnEmptyValueClearsOne()
    {
        await using var factory = await KosmoFactory.StartAsync();
        await ImportAsync(factory, _files.Write([RosterFiles.EnglishHeader, OldMember]));

        var (withoutColumn, _, errors) = await ImportAsync(factory, _files.Write(
            ["user_id,symbol,number,birthdate,name,joined_on", "K0001,123,4567,1984-10-07,山田 太郎,2010-04-01"], name: "no-email.csv"));
        Assert.That((withoutColumn.ExitCode, withoutColumn.Unchanged), Is.EqualTo((RosterImportExit.Success, 1)), errors);
        Assert.That((await FindAsync(factory, "K0001")).RosterEmail, Is.EqualTo("taro@example.jp"), "the file says nothing about addresses");

        var (emptyValue, _, _) = await ImportAsync(factory, _files.Write(
            [RosterFiles.EnglishHeader, "K0001,123,4567,1984-10-07,山田 太郎,2010-04-01,"], name: "empty-email.csv"));
        Assert.That(emptyValue.Updated, Is.EqualTo(1));
        Assert.That((await FindAsync(factory, "K0001")).RosterEmail, Is.Null, "the roster now has no address for the member");
    }

    [Test]
    public async Task ACorrection_SignsOutWhoSignedInWithTheOldCardData_AndWithdrawsALinkMailedToTheReplacedAddress()
    {
        await using var factory = await KosmoFactory.StartAsync();
        const string other = "K0003,123,4569,1975-01-31,髙橋 一郎,1999-04-01,ichiro@example.jp";
        await ImportAsync(factory, _files.Write([RosterFiles.EnglishHeader, OldMember, other]));
        var browser = factory.Browser();
        Assert.That(PathOf(await LoginAsync(browser, "K0001", "123456719841007")), Is.EqualTo("/journey/birthdate"));
        var now = DateTimeOffset.UtcNow;
        await TestMembers.WithDbAsync(factory, async db =>
        {
            var taro = await db.Members.SingleAsync(m => m.NormalizedUserId == "K0001");
            var ichiro = await db.Members.SingleAsync(m => m.NormalizedUserId == "K0003");
            // The suggested roster address, accepted on the email page; and an address a member typed.
            db.EmailVerifications.Add(new EmailVerification { MemberId = taro.Id, Email = "Taro@example.jp", TokenHash = [1], SentAt = now, ExpiresAt = now.AddHours(1) });
            db.EmailVerifications.Add(new EmailVerification { MemberId = ichiro.Id, Email = "own@example.jp", TokenHash = [2], SentAt = now, ExpiresAt = now.AddHours(1) });
            return await db.SaveChangesAsync();
        });

        var (result, output, errors) = await ImportAsync(factory, _files.Write(
            [RosterFiles.EnglishHeader, "K0001,123,4567,1984-10-08,山田 太郎,2010-04-01,right@example.jp", "K0003,123,4569,1975-01-31,髙橋 一郎,1999-04-01,ichiro2@example.jp"],
            name: "corrected.csv"));

        Assert.That(result.Updated, Is.EqualTo(2), errors);
        Assert.That(output, Does.Contain("1 member(s) still on the initial password signed out"));
        Assert.That(output, Does.Contain("1 unopened confirmation link(s) to a roster address this file replaced withdrawn"));
        Assert.That(PathOf(await browser.GetAsync("/journey/birthdate")), Is.EqualTo("/login"), "the password that session proved no longer exists");
        Assert.That(await TestMembers.WithDbAsync(factory, db => db.EmailVerifications.Select(v => v.Email).ToListAsync()), Is.EqualTo(new[] { "own@example.jp" }),
            "a link to an address the member typed is theirs");
        Assert.That(PathOf(await LoginAsync(factory.Browser(), "K0001", "123456719841008")), Is.EqualTo("/journey/birthdate"), "the corrected card data signs in");
        var audited = await TestMembers.WithDbAsync(factory, db => db.AuditEvents
            .Where(a => a.Kind == AuditKinds.SignedOutEverywhere || a.Kind == AuditKinds.EmailVerificationCancelled).Select(a => a.Kind + ": " + a.Detail).ToListAsync());
        Assert.That(audited, Has.Exactly(1).StartsWith("sessions.signed-out-everywhere: roster correction"));
        Assert.That(audited, Has.Exactly(1).StartsWith("email.verification-cancelled: roster correction"));
    }

    [Test]
    public async Task ReRun_UpdatesRosterColumns_AndLeavesWhatTheMemberChoseAndMembersNotInTheFileAlone()
    {
        await using var factory = await KosmoFactory.StartAsync();
        await TestMembers.AddAsync(factory, "NOT-IN-ROSTER", "some-password-1");
        await ImportAsync(factory, _files.Write([RosterFiles.EnglishHeader, OldMember, "K0005,123,4570,1980-01-01,田中 三郎,2005-04-01,"]));
        var hashing = factory.Services.GetRequiredService<PasswordHashing>();
        var chosenHash = hashing.Hash("my-own-password-9");
        var verifiedAt = DateTimeOffset.UtcNow;
        await TestMembers.WithDbAsync(factory, async db =>
        {
            var member = await db.Members.SingleAsync(m => m.NormalizedUserId == "K0001");
            member.PasswordHash = chosenHash;
            member.PasswordMustChange = false;
            member.OtpMethod = OtpMethod.App;
            member.Email = "chosen@example.jp";
            member.EmailVerifiedAt = verifiedAt;
            return await db.SaveChangesAsync();
        });

        var renamed = "K0001,123,4567,1984-10-07,山田 太郎（旧姓 佐藤）,2010-04-01,new@example.jp";
        var (result, output, _) = await ImportAsync(factory, _files.Write([RosterFiles.EnglishHeader, renamed, "K0005,123,4570,1980-01-01,田中 三郎,2005-04-01,"], name: "second.csv"));

        Assert.That((result.Created, result.Updated, result.Unchanged, result.Rejected, result.NotInFile), Is.EqualTo((0, 1, 1, 0, 1)));
        Assert.That(output, Does.Contain("created 0, updated 1, unchanged 1, rejected 0, not in file 1"));
        var updated = await FindAsync(factory, "K0001");
        Assert.That(updated.DisplayName, Is.EqualTo("山田 太郎（旧姓 佐藤）"));
        Assert.That(updated.RosterEmail, Is.EqualTo("new@example.jp"));
        Assert.That(updated.PasswordHash, Is.EqualTo(chosenHash));
        Assert.That(updated.PasswordMustChange, Is.False);
        Assert.That(updated.OtpMethod, Is.EqualTo(OtpMethod.App));
        Assert.That(updated.Email, Is.EqualTo("chosen@example.jp"));
        Assert.That(updated.EmailVerifiedAt, Is.Not.Null);
        Assert.That(hashing.Check(updated, "my-own-password-9"), Is.EqualTo(PasswordCheck.Correct));
        Assert.That(await FindAsync(factory, "NOT-IN-ROSTER"), Is.Not.Null);
    }

    [Test]
    public async Task CreatedAndUpdatedMembers_AreAudited_WithTheChangedFieldNames()
    {
        await using var factory = await KosmoFactory.StartAsync();
        await ImportAsync(factory, _files.Write([RosterFiles.EnglishHeader, OldMember, NewMember]));
        await ImportAsync(factory, _files.Write([RosterFiles.EnglishHeader, OldMember.Replace("山田 太郎", "山田 太朗"), NewMember], name: "second.csv"));

        var events = await TestMembers.WithDbAsync(factory, db => db.AuditEvents.OrderBy(e => e.Id).ToListAsync());
        var k0001 = (await FindAsync(factory, "K0001")).Id;
        Assert.That(events.Count(e => e.Kind == AuditKinds.RosterMemberCreated), Is.EqualTo(2));
        var update = events.Single(e => e.Kind == AuditKinds.RosterMemberUpdated);
        Assert.That(update.MemberId, Is.EqualTo(k0001));
        Assert.That(update.Detail, Is.EqualTo("changed: name"), "the roster's column, never its value");
    }

    [Test]
    public async Task BadLines_AreListedWithTheirLineNumbersAndReasons_AndNothingIsApplied()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var file = _files.Write(
        [
            RosterFiles.EnglishHeader,
            OldMember,
            "K0010,123,4571,1984-10-07,,2010-04-01,",
            "K0011,123,4572,1984-02-30,伊藤 四郎,2010-04-01,",
            "k0001,123,4573,1984-10-07,重複 五郎,2010-04-01,",
            "K0012,123,4574,1984-10-07,渡辺 六郎,2010-04-01,not-an-address",
            "K0013,12a,4575,1984-10-07,小林 七子,1980-04-01,",
            "K0014,123,4576,1984-10-07,\"加藤 \"八\"郎\",2010-04-01,",
            NewMember,
            "K 0015,123,4577,1984-10-07,中村 九郎,2010-04-01,",
            "K0016,123,4578,2199-01-01,未来 十郎,2199-04-01,",
            "K0017,123,4579,1984-10-07,山田\u001b[31m十一,2010-04-01,",
            "K0018,123,4580,1984-10-07,\u200b,2010-04-01,",
            "=1+2,123,4581,1984-10-07,松本 十二,2010-04-01,",
            "K0019,123,4582,1984-10-07,@SUM(1+1),2010-04-01,",
            "K0020,123,4583,0001-01-01,古代 十三,2010-04-01,",
            "K0021,123,4584,1984-10-07,遠未来 十四,2999-01-01,",
            ",,,,,",
            // Pasted from a web page or a spreadsheet: each prints as K0001 on the notice.
            "\u200bK0001,123,4585,1984-10-07,見えない 一,2010-04-01,",
            "K0001\ufeff,123,4586,1984-10-07,見えない 二,2010-04-01,",
            "K\u00ad0001,123,4587,1984-10-07,見えない 三,2010-04-01,",
            // The file comes from another office's system: its text is quoted, never run, in the terminal.
            "K0022,1\u001b[2J,4588,1980-01-01,端末 十五,2010-04-01,",
            "K0023,123,4589,1984-10-07,＝HYPERLINK(1),2010-04-01,",
            // A column shifted by a spreadsheet: the 番号 where the name belongs.
            "K0024,123,4590,1984-10-07,4590,2010-04-01,",
        ]);

        var (exit, output, errors) = await OperatorShell.RunAsync(factory.ConnectionString, "members", "import", file, "--notices", _files.NoticePath);

        Assert.That(exit, Is.EqualTo(RosterImportExit.Failed));
        Assert.That(errors, Does.Contain("line 3: missing field name"));
        Assert.That(errors, Does.Contain("line 4: impossible date birthdate 1984-02-30"));
        Assert.That(errors, Does.Contain("line 5: duplicate user ID k0001 (first on line 2)"));
        Assert.That(errors, Does.Contain("line 6: email not-an-address is not a valid address"));
        Assert.That(errors, Does.Contain("line 7: symbol 12a is not digits only; joined_on 1980-04-01 is before the birthdate"));
        Assert.That(errors, Does.Contain("line 8: malformed CSV line"));
        Assert.That(errors, Does.Contain("line 10: user ID contains a space"));
        Assert.That(errors, Does.Contain("line 11: birthdate 2199-01-01 is in the future"));
        Assert.That(errors, Does.Contain("line 12: name has control characters or no letters"), "a terminal would run the escape sequence");
        Assert.That(errors, Does.Contain("line 13: name has control characters or no letters"), "only a zero-width space");
        Assert.That(errors, Does.Contain("line 14: user ID starts with ="), "a spreadsheet would run it on the credentials notice");
        Assert.That(errors, Does.Contain("line 15: name starts with @"), "a spreadsheet would run it on the credentials notice");
        Assert.That(errors, Does.Contain("line 16: birthdate 0001-01-01 is before 1900"));
        Assert.That(errors, Does.Contain("line 17: joined_on 2999-01-01 is more than a year ahead"));
        Assert.That(errors, Does.Not.Contain("line 18:"), "a line of nothing but commas, left by a spreadsheet, is a blank line");
        Assert.That(errors, Does.Contain("line 19: user ID contains an invisible or control character (U+200B)"));
        Assert.That(errors, Does.Contain("line 20: user ID contains an invisible or control character (U+FEFF)"));
        Assert.That(errors, Does.Contain("line 21: user ID contains an invisible or control character (U+00AD)"));
        Assert.That(errors, Does.Contain("line 22: symbol 1\\u001B[2J is not digits only"));
        Assert.That(errors, Does.Contain("line 23: name starts with ＝"), "full-width, as a Japanese spreadsheet may read it");
        Assert.That(errors, Does.Contain("line 24: name has control characters or no letters"), "digits are no name");
        Assert.That(errors.Contains('\u001b', StringComparison.Ordinal), Is.False, "the escape is shown, not sent");
        Assert.That(errors, Does.Not.Contain("line 9:"), "a good line among bad ones is not listed");
        Assert.That(output, Does.Contain("Nothing was applied"));
        Assert.That(await TestMembers.WithDbAsync(factory, db => db.Members.CountAsync()), Is.Zero);
        Assert.That(File.Exists(_files.NoticePath), Is.False);
    }

    [Test]
    public async Task AnAddressWhoseCaseAloneChanged_IsTheSameMailbox_AndItsLinkStays()
    {
        await using var factory = await KosmoFactory.StartAsync();
        await ImportAsync(factory, _files.Write([RosterFiles.EnglishHeader, "K0001,123,4567,1984-10-07,山田 太郎,2010-04-01,Taro@Example.jp"]));
        var now = DateTimeOffset.UtcNow;
        await TestMembers.WithDbAsync(factory, async db =>
        {
            var taro = await db.Members.SingleAsync(m => m.NormalizedUserId == "K0001");
            db.EmailVerifications.Add(new EmailVerification { MemberId = taro.Id, Email = "Taro@Example.jp", TokenHash = [3], SentAt = now, ExpiresAt = now.AddHours(1) });
            return await db.SaveChangesAsync();
        });

        var (result, output, errors) = await ImportAsync(factory, _files.Write(
            [RosterFiles.EnglishHeader, "K0001,123,4567,1984-10-07,山田 太郎,2010-04-01,taro@example.jp"], name: "lower-case.csv"));

        Assert.That(result.Updated, Is.EqualTo(1), errors);
        Assert.That(output, Does.Not.Contain("withdrawn"));
        Assert.That(await TestMembers.WithDbAsync(factory, db => db.EmailVerifications.CountAsync()), Is.EqualTo(1), "the link the member may be about to open still works");
    }

    [Test]
    public async Task ALineRefusedForItsData_StillCountsForItsUserId_ForDuplicatesAndForMembersNotInTheFile()
    {
        await using var factory = await KosmoFactory.StartAsync();
        await ImportAsync(factory, _files.Write([RosterFiles.EnglishHeader, OldMember, "K0003,123,4569,1975-01-31,髙橋 一郎,1999-04-01,"]));
        var file = _files.Write([RosterFiles.EnglishHeader,
            "K0001,123,4567,1984-02-30,山田 太郎,2010-04-01,",
            "K0001,999,9999,1990-01-01,別人,2010-04-01,",
            "K0003,123,4569,1975-01-31,髙橋 一郎,1999-04-01,"], name: "refused-first.csv");

        var (exit, output, errors) = await OperatorShell.RunAsync(factory.ConnectionString, "members", "import", file, "--apply-valid", "--notices", _files.NoticePath);

        Assert.That(exit, Is.EqualTo(RosterImportExit.AppliedWithRejections), errors);
        Assert.That(errors, Does.Contain("line 3: duplicate user ID K0001 (first on line 2)"), "which of the two lines is right is the office's to say");
        Assert.That(output, Does.Contain("rejected 2, not in file 0"), "K0001 is in the file: its lines were refused, not missing");
        var taro = await TestMembers.WithDbAsync(factory, db => db.Members.AsNoTracking().SingleAsync(m => m.NormalizedUserId == "K0001"));
        Assert.That(taro.DisplayName, Is.EqualTo("山田 太郎"), "the second line did not load as if it were the only one");

        // The same when the first line is one the CSV reader could not split (a field short).
        var shortFirst = _files.Write([RosterFiles.EnglishHeader,
            "K0001,123,4567,1984-10-07,山田 太郎",
            "K0001,999,9999,1990-01-01,別人,2010-04-01,",
            "K0003,123,4569,1975-01-31,髙橋 一郎,1999-04-01,"], name: "short-first.csv");
        (exit, output, errors) = await OperatorShell.RunAsync(factory.ConnectionString, "members", "import", shortFirst, "--apply-valid", "--notices", _files.NoticePath + ".2");
        Assert.That(errors, Does.Contain("line 3: duplicate user ID K0001 (first on line 2)"));
        Assert.That(output, Does.Contain("rejected 2, not in file 0"));
        taro = await TestMembers.WithDbAsync(factory, db => db.Members.AsNoTracking().SingleAsync(m => m.NormalizedUserId == "K0001"));
        Assert.That(taro.DisplayName, Is.EqualTo("山田 太郎"));
    }

    [Test]
    public async Task ApplyValid_LoadsOnlyTheGoodLines_AndExitsWithThree()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var file = _files.Write([RosterFiles.EnglishHeader, OldMember, "K0011,123,4572,1984-02-30,伊藤 四郎,2010-04-01,", NewMember]);

        var (exit, output, errors) = await OperatorShell.RunAsync(factory.ConnectionString, "members", "import", file, "--apply-valid", "--notices", _files.NoticePath);

        Assert.That(exit, Is.EqualTo(RosterImportExit.AppliedWithRejections));
        Assert.That(errors, Does.Contain("line 3: impossible date"));
        Assert.That(output, Does.Contain("created 2, updated 0, unchanged 0, rejected 1, not in file 0"));
        var ids = await TestMembers.WithDbAsync(factory, db => db.Members.Select(m => m.UserId).OrderBy(u => u).ToListAsync());
        Assert.That(ids, Is.EqualTo(new[] { "K0001", "K0002" }));
        Assert.That(File.Exists(_files.NoticePath), Is.True);

        // With no valid line at all there is nothing to load: not a partial load (3), a refusal.
        var onlyBad = _files.Write([RosterFiles.EnglishHeader, "K0012,123,4573,1984-02-30,伊藤 五郎,2010-04-01,"], name: "only-bad.csv");
        (exit, output, _) = await OperatorShell.RunAsync(factory.ConnectionString, "members", "import", onlyBad, "--apply-valid");
        Assert.That(exit, Is.EqualTo(RosterImportExit.Failed));
        Assert.That(output, Does.Contain("none is valid").And.Not.Contain("--apply-valid"));
    }

    [Test]
    public async Task DryRun_ReportsWhatWouldChange_AndWritesNothing()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var file = _files.Write([RosterFiles.EnglishHeader, OldMember, NewMember]);

        var (exit, output, _) = await OperatorShell.RunAsync(factory.ConnectionString, "members", "import", file, "--dry-run", "--notices", _files.NoticePath);

        Assert.That(exit, Is.Zero);
        Assert.That(output, Does.Contain("Dry run").And.Contain("created 2, updated 0, unchanged 0, rejected 0, not in file 0"));
        Assert.That(await TestMembers.WithDbAsync(factory, db => db.Members.CountAsync()), Is.Zero);
        Assert.That(await TestMembers.WithDbAsync(factory, db => db.AuditEvents.CountAsync()), Is.Zero);
        Assert.That(File.Exists(_files.NoticePath), Is.False);
    }

    [Test]
    public async Task DryRun_FailsWhenTheImportItselfCouldNotWriteItsNotice_AfterCheckingTheFile()
    {
        await using var factory = await KosmoFactory.StartAsync();
        await File.WriteAllTextAsync(_files.NoticePath, "an unprinted notice");
        var file = _files.Write([RosterFiles.EnglishHeader, NewMember]);

        var (exit, output, errors) = await OperatorShell.RunAsync(factory.ConnectionString, "members", "import", file, "--dry-run", "--notices", _files.NoticePath);
        Assert.That(exit, Is.EqualTo(RosterImportExit.Failed), "a script gating the real run on the dry run must not start a run that stops");
        Assert.That(output, Does.Contain("created 1"), "the file is still checked");
        Assert.That(errors, Does.Contain("would stop before changing anything").And.Contain("already exists"));
        Assert.That(await File.ReadAllTextAsync(_files.NoticePath), Is.EqualTo("an unprinted notice"));

        var nowhere = Path.Combine(_files.Directory, "no-such-folder", "notice.csv");
        (exit, _, errors) = await OperatorShell.RunAsync(factory.ConnectionString, "members", "import", file, "--dry-run", "--notices", nowhere);
        Assert.That(exit, Is.EqualTo(RosterImportExit.Failed));
        Assert.That(errors, Does.Contain("does not exist; name a writable place with --notices"));

        // A file that issues no random password writes no notice, so an existing one stops neither run.
        var ruleOnly = _files.Write([RosterFiles.EnglishHeader, OldMember], name: "rule-only.csv");
        foreach (var run in new[] { new[] { "--dry-run" }, [] })
        {
            (exit, _, errors) = await OperatorShell.RunAsync(factory.ConnectionString, ["members", "import", ruleOnly, "--notices", _files.NoticePath, .. run]);
            Assert.That(exit, Is.Zero, errors);
        }

        Assert.That(await TestMembers.WithDbAsync(factory, db => db.Members.CountAsync()), Is.EqualTo(1));
    }

    [Test]
    public async Task AnExistingNoticeFile_IsNeverOverwritten_AndNothingIsApplied()
    {
        await using var factory = await KosmoFactory.StartAsync();
        await File.WriteAllTextAsync(_files.NoticePath, "an unprinted notice");
        var file = _files.Write([RosterFiles.EnglishHeader, NewMember]);

        var (exit, _, errors) = await OperatorShell.RunAsync(factory.ConnectionString, "members", "import", file, "--notices", _files.NoticePath);

        Assert.That(exit, Is.EqualTo(RosterImportExit.Failed));
        Assert.That(errors, Does.Contain("already exists"));
        Assert.That(await File.ReadAllTextAsync(_files.NoticePath), Is.EqualTo("an unprinted notice"));
        Assert.That(await TestMembers.WithDbAsync(factory, db => db.Members.CountAsync()), Is.Zero);
    }

    [Test]
    public async Task ANoticeFileThatCannotBeWritten_AppliesNothing_AndSaysToNameAWritablePlace()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var nowhere = Path.Combine(Path.GetTempPath(), $"kosmo-no-such-folder-{Guid.NewGuid():N}", "notice.csv");

        var (exit, _, errors) = await OperatorShell.RunAsync(factory.ConnectionString,
            "members", "import", _files.Write([RosterFiles.EnglishHeader, NewMember]), "--notices", nowhere);

        Assert.That(exit, Is.EqualTo(RosterImportExit.Failed));
        Assert.That(errors, Does.Contain("Nothing was applied: the folder of the notice file").And.Contain("--notices").And.Not.Contain("   at "));
        Assert.That(await TestMembers.WithDbAsync(factory, db => db.Members.CountAsync()), Is.Zero, "no member whose only password was lost");
    }

    [Test]
    public async Task ANoticePathThatIsAFolder_AppliesNothing_AndAsksForAFileName()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var (exit, _, errors) = await OperatorShell.RunAsync(factory.ConnectionString,
            "members", "import", _files.Write([RosterFiles.EnglishHeader, NewMember]), "--notices", _files.Directory);

        Assert.That(exit, Is.EqualTo(RosterImportExit.Failed));
        Assert.That(errors, Does.Contain("--notices names the folder").And.Contain("notices.csv"));
        Assert.That(await TestMembers.WithDbAsync(factory, db => db.Members.CountAsync()), Is.Zero);
    }

    [Test]
    public async Task AnImportInterruptedAfterItWroteItsNotice_AppliesNothing_DeletesTheNotice_AndSaysSo()
    {
        await using var factory = await KosmoFactory.StartAsync();
        // Joined after the cut-off: random passwords, hashed after the notice is written and before the commit.
        var joiners = Enumerable.Range(0, 400).Select(i => $"J{i:D4},700,{i + 1},1990-01-01,新規 {i},2026-04-01,");
        var file = _files.Write([RosterFiles.EnglishHeader, .. joiners]);
        using var interrupt = new CancellationTokenSource();
        // Ctrl+C as soon as the notice exists, as an operator who started the wrong file would.
        var watcher = Task.Run(async () =>
        {
            while (!File.Exists(_files.NoticePath) && !interrupt.IsCancellationRequested)
            {
                await Task.Delay(5);
            }

            await interrupt.CancelAsync();
        });
        await using var scope = factory.Services.CreateAsyncScope();
        var errors = new StringWriter();

        Assert.That(() => scope.ServiceProvider.GetRequiredService<RosterImporter>().ImportAsync(
                new RosterImportRequest(file) { NoticesPath = _files.NoticePath }, new StringWriter(), errors, showProgress: false, interrupt.Token),
            Throws.InstanceOf<OperationCanceledException>());
        await watcher;

        Assert.That(File.Exists(_files.NoticePath), Is.False, "passwords no member has must not be printed");
        Assert.That(errors.ToString(), Does.Contain("Interrupted: nothing was applied, and the credentials notice"));
        Assert.That(await TestMembers.WithDbAsync(factory, db => db.Members.CountAsync()), Is.Zero);
    }

    [Test]
    public void HashingTheNewMembersPasswords_StopsOnceCancelled_InsteadOfFinishingTheBatch()
    {
        // The command line gives an interrupted command a few seconds before the process ends: a
        // batch of Argon2id hashes (tens of milliseconds each) must not run them out.
        var hashing = new InitialPasswords(new PasswordHashing(Microsoft.Extensions.Options.Options.Create(new PasswordHashingOptions())));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.That(() => hashing.HashAll(Enumerable.Range(0, 1000).Select(i => $"password-{i}").ToList(), cancelled.Token),
            Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task AHeaderWithoutARequiredColumn_IsRefused_NamingTheColumn()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var file = _files.Write(["user_id,symbol,number,name,joined_on", "K0001,123,4567,山田 太郎,2010-04-01"]);

        var (exit, _, errors) = await OperatorShell.RunAsync(factory.ConnectionString, "members", "import", file, "--notices", _files.NoticePath);

        Assert.That(exit, Is.EqualTo(RosterImportExit.Failed));
        Assert.That(errors, Does.Contain("The header (first line) has no column birthdate or 生年月日."));
    }

    [Test]
    public async Task AMisspeltColumn_IsNamedAsNotRead_AndTheRosterAddressesAreSaidToBeKept()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var file = _files.Write(["user_id,symbol,number,birthdate,name,joined_on,e-mail", "K0001,123,4567,1984-10-07,山田 太郎,2010-04-01,taro@example.jp"]);

        var (exit, _, errors) = await OperatorShell.RunAsync(factory.ConnectionString, "members", "import", file, "--dry-run");

        Assert.That(exit, Is.EqualTo(RosterImportExit.Success), errors);
        Assert.That(errors, Does.Contain("Columns not read: e-mail.").And.Contain("roster addresses are left as they are"));
    }

    [TestCase("\t", "tabs")]
    [TestCase(";", "semicolons")]
    public void AFileSeparatedByOtherThanCommas_IsRefused_SayingHowToSaveIt(string separator, string named)
    {
        var text = RosterFiles.EnglishHeader.Replace(",", separator, StringComparison.Ordinal) + "\n" + OldMember.Replace(",", separator, StringComparison.Ordinal);
        Assert.That(() => RosterFile.Parse(text, "UTF-8"), Throws.InstanceOf<RosterFileException>()
            .With.Message.Contain($"It is separated by {named}: save the file as \"CSV UTF-8 (Comma delimited)\"."));
    }

    [Test]
    public void AUtf8FileWithOneLineInShiftJis_IsRefusedAtThatLine_InsteadOfLoadingEveryNameAsOtherKanji()
    {
        // As Shift_JIS, the UTF-8 lines would read without one byte refused: 佐藤 as 菴占陸.
        byte[] mixed = [.. System.Text.Encoding.UTF8.GetBytes(RosterFiles.JapaneseHeader + "\n" + OldMember + "\n"),
            .. RosterFiles.ShiftJis.GetBytes("K0003,123,4569,1975-01-31,髙橋 﨑,1999-04-01,\n")];

        Assert.That(() => RosterFile.Decode(mixed, null), Throws.InstanceOf<RosterFileException>()
            .With.Message.Contain("UTF-8 with Japanese text up to a line in another encoding").And.Message.Contain("at line 3"));
        // Even when every UTF-8 line before it reads as Shift_JIS too.
        byte[] ambiguous = [.. System.Text.Encoding.UTF8.GetBytes(RosterFiles.EnglishHeader + "\nK0001,123,4567,1984-10-07,佐藤,2010-04-01,\n"),
            .. RosterFiles.ShiftJis.GetBytes("K0002,123,4568,1984-10-07,鈴木,2010-04-01,\n")];
        Assert.That(() => RosterFile.Decode(ambiguous, null), Throws.InstanceOf<RosterFileException>().With.Message.Contain("at line 3"));

        // Shift_JIS throughout, whose first name (邉蓮, E7 B3 98 40) happens to be valid UTF-8 as well: read as Shift_JIS.
        var genuine = RosterFiles.ShiftJis.GetBytes(RosterFiles.EnglishHeader + "\nK0001,123,4567,1984-10-07,邉蓮,2010-04-01,\nK0002,123,4568,1984-10-07,佐藤 花子,2010-04-01,\n");
        Assert.That(RosterFile.Decode(genuine, null), Is.EqualTo((RosterFiles.EnglishHeader + "\nK0001,123,4567,1984-10-07,邉蓮,2010-04-01,\nK0002,123,4568,1984-10-07,佐藤 花子,2010-04-01,\n", "Shift_JIS")));
    }

    [Test]
    public void ShiftJisNamedForAUtf8FileWithJapanese_IsRefused_InsteadOfLoadingOtherCharacters()
    {
        var utf8 = System.Text.Encoding.UTF8.GetBytes(RosterFiles.EnglishHeader + "\n" + OldMember + "\n");
        Assert.That(() => RosterFile.Decode(utf8, RosterFile.ShiftJis), Throws.InstanceOf<RosterFileException>()
            .With.Message.Contain("UTF-8 with Japanese text").And.Message.Contain("leave --encoding out"));
        Assert.That(RosterFile.Decode(RosterFiles.ShiftJis.GetBytes(OldMember), RosterFile.ShiftJis).Text, Is.EqualTo(OldMember), "a Shift_JIS file still reads");
        byte[] asciiWithMark = [0xEF, 0xBB, 0xBF, .. System.Text.Encoding.ASCII.GetBytes(RosterFiles.EnglishHeader + "\n")];
        Assert.That(() => RosterFile.Decode(asciiWithMark, RosterFile.ShiftJis), Throws.InstanceOf<RosterFileException>().With.Message.Not.Contain("Japanese text"),
            "a byte-order mark alone is no Japanese text");
    }

    [Test]
    public async Task AnImportInterruptedBeforeItWroteAnything_SaysNothingWasApplied()
    {
        await using var factory = await KosmoFactory.StartAsync();
        await using var scope = factory.Services.CreateAsyncScope();
        var errors = new StringWriter();
        using var interrupted = new CancellationTokenSource();
        await interrupted.CancelAsync();

        Assert.That(() => scope.ServiceProvider.GetRequiredService<RosterImporter>().ImportAsync(
                new RosterImportRequest(_files.Write([RosterFiles.EnglishHeader, OldMember])) { NoticesPath = _files.NoticePath },
                new StringWriter(), errors, showProgress: false, interrupted.Token),
            Throws.InstanceOf<OperationCanceledException>());
        Assert.That(errors.ToString(), Does.Contain("Interrupted: nothing was applied."));
    }

    [Test]
    public async Task UserIdsTakenByAnotherImportMeanwhile_AreNamedAsSuch_NotAsADatabaseThatIsDown()
    {
        await using var factory = await KosmoFactory.StartAsync();
        // What PostgreSQL answers the second of two imports of the same new members, once the first has committed.
        await TestMembers.WithDbAsync(factory, db => db.Database.ExecuteSqlRawAsync("""
            CREATE FUNCTION taken_meanwhile() RETURNS trigger AS $$ BEGIN
              RAISE EXCEPTION USING ERRCODE = 'unique_violation', MESSAGE = 'duplicate key value violates unique constraint "ix_members_normalized_user_id"';
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER taken_meanwhile BEFORE INSERT ON members FOR EACH ROW EXECUTE FUNCTION taken_meanwhile();
            """));

        var (exit, _, errors) = await OperatorShell.RunAsync(factory.ConnectionString, "members", "import", _files.Write([RosterFiles.EnglishHeader, OldMember]));

        Assert.That(exit, Is.EqualTo(RosterImportExit.Failed));
        Assert.That(errors, Does.Contain("created by another import while this one ran").And.Not.Contain("could not be reached"));
    }

    [Test]
    public async Task AnImportRolledBackAfterItsFirstBatches_LeavesNoAuditLinesInTheLog()
    {
        await using var factory = await KosmoFactory.StartAsync();
        // The 501st member fails after the first 500 (one batch) were saved inside the import's transaction.
        await TestMembers.WithDbAsync(factory, db => db.Database.ExecuteSqlRawAsync("""
            CREATE FUNCTION refuse_the_last() RETURNS trigger AS $$ BEGIN
              IF NEW.user_id = 'L0501' THEN RAISE EXCEPTION 'refused for the test'; END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER refuse_the_last BEFORE INSERT ON members FOR EACH ROW EXECUTE FUNCTION refuse_the_last();
            """));
        var lines = Enumerable.Range(1, 501).Select(i => $"L{i:0000},123,{10000 + i},1984-10-07,山田 太郎,2010-04-01,");
        var file = _files.Write([RosterFiles.EnglishHeader, .. lines]);

        Assert.CatchAsync(() => ImportAsync(factory, file));

        Assert.That(await TestMembers.WithDbAsync(factory, db => db.Members.CountAsync(m => m.UserId.StartsWith("L0"))), Is.Zero, "rolled back");
        Assert.That(factory.Logs.Events.Where(e => e.Contains(AuditKinds.RosterMemberCreated, StringComparison.Ordinal)), Is.Empty,
            "the log restores audit events lost with a restored backup: it must not hold members that were never stored");

        await TestMembers.WithDbAsync(factory, db => db.Database.ExecuteSqlRawAsync("DROP TRIGGER refuse_the_last ON members"));
        await ImportAsync(factory, file);
        Assert.That(factory.Logs.Events.Count(e => e.Contains(AuditKinds.RosterMemberCreated, StringComparison.Ordinal)), Is.EqualTo(501), "once committed, each is logged");
    }

    private async Task<(RosterImportResult Result, string Output, string Errors)> ImportAsync(KosmoFactory factory, string file)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var output = new StringWriter();
        var errors = new StringWriter();
        var request = new RosterImportRequest(file) { NoticesPath = _files.NoticePath };
        if (File.Exists(_files.NoticePath))
        {
            request = request with { NoticesPath = Path.Combine(_files.Directory, $"notice-{Guid.NewGuid():N}.csv") };
        }

        var result = await scope.ServiceProvider.GetRequiredService<RosterImporter>().ImportAsync(request, output, errors, showProgress: false, CancellationToken.None);
        return (result, output.ToString(), errors.ToString());
    }

    private static Task<Member> FindAsync(KosmoFactory factory, string userId) =>
        TestMembers.WithDbAsync(factory, db => db.Members.AsNoTracking().SingleAsync(m => m.NormalizedUserId == Member.Normalize(userId)));
}
