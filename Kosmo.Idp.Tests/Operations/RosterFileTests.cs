using System.Text;
using Kosmo.Idp.Operations.Roster;
using Kosmo.Idp.Tests.Infrastructure;

namespace Kosmo.Idp.Tests.Operations;

/// <summary>
/// Roster files as offices and their tools really write them, read without a database;
/// RosterImportTests loads them through the command.
/// </summary>
public sealed class RosterFileTests
{
    private const string Line = "K0001,123,4567,1984-10-07,山田 太郎,2010-04-01,";

    [Test]
    public void ShiftJisWrittenByPython_WithTheNecSelectedCodesOf髙And﨑_ReadsLikeWindowsReadsIt()
    {
        // Python's cp932 writes 髙 as EE E0 and 﨑 as ED 95, where Excel writes FB FC and FA B1.
        byte[] surnames = [0xEE, 0xE0, 0x8B, 0xB4, 0x20, 0xED, 0x95, 0x93, 0x63];
        Assert.That(RosterFile.Decode(surnames, null), Is.EqualTo(("髙橋 﨑田", "Shift_JIS")));
        Assert.That(RosterFile.Decode(surnames, "shift_jis").Text, Is.EqualTo("髙橋 﨑田"));

        // The signs at the row's end, and its first and last kanji: ⅰ ⅹ ￢ ￤ ＇ ＂ 纊 黑.
        byte[] signs = [0xEE, 0xEF, 0xEE, 0xF8, 0xEE, 0xF9, 0xEE, 0xFA, 0xEE, 0xFB, 0xEE, 0xFC, 0xED, 0x40, 0xEE, 0xEC];
        Assert.That(RosterFile.Decode(signs, null).Text, Is.EqualTo("ⅰⅹ￢￤＇＂纊黑"));
    }

    [Test]
    public void EveryNecSelectedCode_ReadsAsPythonsAndWindowsCp932ReadIt()
    {
        // Python's bytes(...).decode("cp932") of each code ED40–EEFC, in order (EEED and EEEE have no character).
        const string expected =
            "纊褜鍈銈蓜俉炻昱棈鋹曻彅丨仡仼伀伃伹佖侒侊侚侔俍偀倢俿倞偆偰偂傔僴僘兊兤冝冾凬刕劜劦勀勛匀匇匤卲厓厲叝﨎咜咊咩哿喆坙坥垬埈埇﨏塚增墲夋奓奛奝奣妤妺孖寀甯寘寬尞岦岺峵崧嵓﨑嵂嵭嶸嶹巐弡弴彧德忞恝悅悊惞惕愠惲愑愷愰憘戓抦揵摠撝擎敎昀昕昻昉昮昞昤晥晗晙晴晳暙暠暲暿曺朎朗杦枻桒柀栁桄棏﨓楨﨔榘槢樰橫橆橳橾櫢櫤毖氿汜沆汯泚洄涇浯涖涬淏淸淲淼渹湜渧渼溿澈澵濵瀅瀇瀨炅炫焏焄煜煆煇凞燁燾犱犾猤猪獷玽珉珖珣珒琇珵琦琪琩琮瑢璉璟甁畯皂皜皞皛皦益睆劯砡硎硤硺礰礼神祥禔福禛竑竧靖竫箞精絈絜綷綠緖繒罇羡羽茁荢荿菇菶葈蒴蕓蕙蕫﨟薰蘒﨡蠇裵訒訷詹誧誾諟諸諶譓譿賰賴贒赶﨣軏﨤逸遧郞都鄕鄧釚釗釞釭釮釤釥鈆鈐鈊鈺鉀鈼鉎鉙鉑鈹鉧銧鉷鉸鋧鋗鋙鋐﨧鋕鋠鋓錥錡鋻﨨錞鋿錝錂鍰鍗鎤鏆鏞鏸鐱鑅鑈閒隆﨩隝隯霳霻靃靍靏靑靕顗顥飯飼餧館馞驎髙髜魵魲鮏鮱鮻鰀鵰鵫鶴鸙黑ⅰⅱⅲⅳⅴⅵⅶⅷⅸⅹ￢￤＇＂";
        var codes = new List<byte>();
        foreach (var lead in new byte[] { 0xED, 0xEE })
        {
            for (var trail = 0x40; trail <= 0xFC; trail++)
            {
                if (trail != 0x7F && !(lead == 0xEE && trail is 0xED or 0xEE))
                {
                    codes.AddRange([lead, (byte)trail]);
                }
            }
        }

        Assert.That(RosterFile.Decode([.. codes], "shift_jis").Text, Is.EqualTo(expected));
    }

    [Test]
    public void ANecSelectedCodeWithoutACharacter_IsStillRefused_NamingItsLineAndBytes()
    {
        byte[] bytes = [.. Encoding.ASCII.GetBytes("user_id\r\n"), 0xEE, 0xED];
        Assert.That(() => RosterFile.Decode(bytes, null), Throws.InstanceOf<RosterFileException>().With.Message.Contain("at line 2 (bytes EE"));
    }

    [Test]
    public void AUtf8ByteOrderMarkOnAShiftJisFile_IsRefused_NamingTheLineAndBytes_EvenWithLinesEndedByCrAlone()
    {
        byte[] bytes = [0xEF, 0xBB, 0xBF, .. Encoding.ASCII.GetBytes("user_id\rK"), 0x8E, 0x52];
        Assert.That(() => RosterFile.Decode(bytes, null), Throws.InstanceOf<RosterFileException>().With.Message.Contain("byte-order mark").And.Message.Contain("at line 2 (bytes 8E"));
    }

    [Test]
    public void ASmallShiftJisFileOfHalfWidthKana_ThatAlsoReadsAsUtf8_IsNotGuessed_TheOperatorIsAsked()
    {
        // ﾐｷ ﾐｽﾞｷ in Shift_JIS is valid UTF-8 too ("з н޷"): a guess would store mojibake over a member's name.
        var bytes = RosterFiles.ShiftJis.GetBytes(RosterFiles.EnglishHeader + "\r\nK0001,123,4567,1984-10-07,ﾐｷ ﾐｽﾞｷ,2010-04-01,\r\n");
        Assert.That(() => RosterFile.Decode(bytes, null),
            Throws.InstanceOf<RosterFileException>().With.Message.Contain("--encoding utf-8 or --encoding shift_jis"));
        Assert.That(RosterFile.Decode(bytes, "Shift_JIS").Text, Does.Contain("ﾐｷ ﾐｽﾞｷ"), "named in any case");

        var japaneseUtf8 = Encoding.UTF8.GetBytes(RosterFiles.EnglishHeader + "\r\n" + Line + "\r\n");
        Assert.That(RosterFile.Decode(japaneseUtf8, null).EncodingName, Is.EqualTo("UTF-8"), "Japanese in UTF-8 is not ambiguous");
    }

    [Test]
    public void AnExcelWorkbookRenamedToCsv_IsNamedAsOne()
    {
        byte[] workbook = [(byte)'P', (byte)'K', 3, 4, 20, 0, 6, 0];
        Assert.That(() => RosterFile.Decode(workbook, null), Throws.InstanceOf<RosterFileException>().With.Message.Contain("Excel workbook"));
    }

    [TestCase("\n")]
    [TestCase("\r\n,,,,,,\r\n,,,,,,\r\n")]
    public void AHeaderWithNoMemberLinesBelowIt_IsRefused_NotLoadedAsAnEmptyRoster(string rest)
    {
        Assert.That(() => RosterFile.Parse(RosterFiles.EnglishHeader + rest, "UTF-8"),
            Throws.InstanceOf<RosterFileException>().With.Message.Contain("no member lines"));
    }

    [Test]
    public void ExcelsUnicodeText_SeparatedByTabs_IsExplained()
    {
        var text = RosterFiles.EnglishHeader.Replace(',', '\t') + "\n" + Line.Replace(',', '\t') + "\n";
        Assert.That(() => RosterFile.Parse(text, "UTF-16LE with BOM"),
            Throws.InstanceOf<RosterFileException>().With.Message.Contain("separated by tabs"));
    }

    [Test]
    public void BothNamesOfAColumnInOneHeader_AreRefused_RatherThanOneDroppedSilently()
    {
        var text = RosterFiles.EnglishHeader + ",ユーザID\n" + Line + "K9999\n";
        Assert.That(() => RosterFile.Parse(text, "UTF-8"),
            Throws.InstanceOf<RosterFileException>().With.Message.Contain("user_id or ユーザID or ユーザーID more than once"));
    }

    [Test]
    public void TheLongSpellingOfユーザーID_IsAHeaderLikeTheOthers()
    {
        var content = RosterFile.Parse(RosterFiles.JapaneseHeader.Replace("ユーザID", "ユーザーID") + "\n" + Line + "\n", "UTF-8");
        Assert.That(content.Rows.Single().UserId, Is.EqualTo("K0001"));
    }

    [Test]
    public void AnOpenQuote_NamesEveryLineItSwallowed()
    {
        var text = string.Join("\n",
            RosterFiles.EnglishHeader,
            Line,
            "K0002,123,4568,1984-10-07,\"開いたまま,2010-04-01,",
            "K0003,123,4569,1984-10-07,佐藤 花子,2010-04-01,",
            "K0004,123,4570,1984-10-07,鈴木 一郎,2010-04-01,") + "\n";

        var content = RosterFile.Parse(text, "UTF-8");

        Assert.That(content.Rows.Select(r => r.UserId), Is.EqualTo(new[] { "K0001" }));
        Assert.That(content.Malformed.Single().Line, Is.EqualTo(3));
        Assert.That(content.Malformed.Single().Reason, Does.Contain("a quote is never closed, so lines 3–5 were read as one line"));
    }

    [Test]
    public void AMemberWhoseLineHasAQuoteGoneWrong_IsStillInTheFile_SoASecondLineForThemIsADuplicate()
    {
        var text = string.Join("\r\n",
            RosterFiles.EnglishHeader,
            "K0001,123,4567,1984-10-07,山田 \"タロウ\" 太郎,2010-04-01,",
            "K0001,123,4567,1984-10-07,山田 太郎,2010-04-01,",
            "K0002,123,4568,1985-10-07,\"佐藤, 花子\",2010-04-01",
            "k0002,123,4568,1985-10-07,佐藤 花子,2010-04-01,") + "\r\n";

        var content = RosterFile.Parse(text, "UTF-8");
        var (valid, rejected) = RosterRowValidation.Validate(content.Rows, new DateOnly(2026, 11, 27), content.Malformed);

        Assert.That(content.Malformed.Select(m => m.Line), Is.EqualTo(new[] { 2, 4 }), "a stray quote, and a quoted line one field short");
        Assert.That(valid, Is.Empty);
        Assert.That(rejected.Select(r => r.Reason), Has.Some.Contain("duplicate user ID K0001 (first on line 2)").And.Some.Contain("duplicate user ID k0002 (first on line 4)"));
    }

    [Test]
    public void AShortLineWhoseUserIdFollowsAQuotedName_StillNamesItsMember()
    {
        var text = string.Join("\n",
            "name,symbol,user_id,number,birthdate,joined_on,email",
            "\"山田, \"\"太郎\"\"\",123,K0001,4567,1984-10-07,2010-04-01",
            "山田 太郎,123,K0001,4567,1984-10-07,2010-04-01,") + "\n";

        var content = RosterFile.Parse(text, "UTF-8");
        var (valid, rejected) = RosterRowValidation.Validate(content.Rows, new DateOnly(2026, 11, 27), content.Malformed);

        Assert.That(valid, Is.Empty);
        Assert.That(rejected.Select(r => r.Reason), Has.Some.Contain("duplicate user ID K0001 (first on line 2)"));
    }

    [Test]
    public void ACsvEndingItsLinesWithCrAlone_AsExcelForMacSavesIt_SkipsSeparatorLines_AndNamesTheLinesAnOpenQuoteTook()
    {
        var trailer = string.Join("\r", RosterFiles.EnglishHeader, Line, ",,,,,,") + "\r";
        Assert.That(RosterFile.Parse(trailer, "UTF-8").Malformed, Is.Empty, "the separators a spreadsheet leaves below the last row");

        var open = string.Join("\r",
            RosterFiles.EnglishHeader,
            Line,
            "K0002,123,4568,1984-10-07,\"開いたまま,2010-04-01,",
            "K0003,123,4569,1984-10-07,佐藤 花子,2010-04-01,",
            "K0004,123,4570,1984-10-07,鈴木 一郎,2010-04-01,") + "\r";
        Assert.That(RosterFile.Parse(open, "UTF-8").Malformed.Single().Reason, Does.Contain("so lines 3–5 were read as one line"));
    }

    [Test]
    public void ANameOf200Characters_OutsideTheBasicPlaneToo_IsAccepted_And201AreNot()
    {
        RosterRow Row(int line, string id, int length) => new()
        {
            Line = line, UserId = id, Symbol = "123", Number = "45" + line, BirthDate = "1984-10-07", Name = string.Concat(Enumerable.Repeat("𠮷", length)), JoinedOn = "2010-04-01",
        };

        var (valid, rejected) = RosterRowValidation.Validate([Row(2, "K0001", 200), Row(3, "K0002", 201)], new DateOnly(2026, 11, 27));

        Assert.That(valid.Select(v => v.UserId), Is.EqualTo(new[] { "K0001" }), "200 characters, though 400 UTF-16 units");
        Assert.That(rejected.Single().Reason, Does.Contain("name longer than 200 characters"));
    }

    [Test]
    public void AHugeValueInTheWrongColumn_IsQuotedShortInItsReason()
    {
        var pasted = new string('x', 5000);
        var row = new RosterRow { Line = 2, UserId = "K0001", Symbol = pasted, Number = "4567", BirthDate = pasted, Name = "山田 太郎", JoinedOn = "2010-04-01", Email = pasted };

        var (_, rejected) = RosterRowValidation.Validate([row], new DateOnly(2026, 11, 27));

        var reason = rejected.Single().Reason;
        Assert.That(reason, Does.Contain("symbol " + new string('x', 39) + "… is not digits only").And.Contain("birthdate " + new string('x', 39) + "… is not a date"));
        Assert.That(reason, Has.Length.LessThan(400), "one screen line per value, not five thousand characters");
    }

    [Test]
    public void FullWidthDates_AreTheSameDates_AndAnOfficesOwnCharacterInANameIsRefused()
    {
        var rows = new[]
        {
            new RosterRow { Line = 2, UserId = "K0001", Symbol = "123", Number = "4567", BirthDate = "１９８４／１０／０７", Name = "山田 太郎", JoinedOn = "２０１０-０４-０１" },
            new RosterRow { Line = 3, UserId = "K0002", Symbol = "123", Number = "4568", BirthDate = "1984-10-07", Name = "\uE000田 花子", JoinedOn = "2010-04-01" },
        };

        var (valid, rejected) = RosterRowValidation.Validate(rows, new DateOnly(2026, 11, 27));

        Assert.That(valid.Single().BirthDate, Is.EqualTo(new DateOnly(1984, 10, 7)));
        Assert.That(valid.Single().JoinedOn, Is.EqualTo(new DateOnly(2010, 4, 1)));
        Assert.That(rejected.Single().Reason, Does.Contain("private-use character (外字, U+E000)"));
    }
}
