using System.Globalization;
using System.Text;
using CsvHelper;

namespace Kosmo.Idp.Operations.Roster;

/// <summary>
/// What was read from a roster file, before any row is checked; <c>HasEmailColumn</c> false when
/// the file says nothing about addresses (the column is optional); <c>UnreadColumns</c>, header
/// names that are none of the roster's columns.
/// </summary>
public sealed record RosterFileContent(
    string EncodingName, IReadOnlyList<RosterRow> Rows, IReadOnlyList<RosterRejection> Malformed, bool HasEmailColumn, IReadOnlyList<string> UnreadColumns);

/// <summary>A roster file that cannot be read at all (no header, a missing column, an unknown encoding).</summary>
public sealed class RosterFileException(string message) : Exception(message);

/// <summary>
/// Reads the society's roster CSV. Offices export it from Excel or from their own systems, so the
/// encoding is UTF-8 with or without a byte-order mark, or Shift_JIS (Windows code page 932).
/// </summary>
public static partial class RosterFile
{
    public const string Utf8 = "utf-8";
    public const string ShiftJis = "shift_jis";

    // The same names as the [CsvColumn] attributes of RosterRow, for a message in the operator's terms.
    private static readonly string[][] RequiredColumns =
    [
        ["user_id", "ユーザID", "ユーザーID"], ["symbol", "記号"], ["number", "番号"], ["birthdate", "生年月日"], ["name", "氏名"], ["joined_on", "資格取得日"],
    ];

    private static readonly string[] EmailColumn = ["email", "メールアドレス"];

    private static readonly string[][] Columns = [.. RequiredColumns, EmailColumn];

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Windows' Shift_JIS (code page 932), throwing where bytes or characters have no counterpart.</summary>
    private static readonly Lazy<Encoding> StrictShiftJis = new(() =>
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return Encoding.GetEncoding(932, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
    });

    public static RosterFileContent Read(string path, string? forcedEncoding = null)
    {
        if (Directory.Exists(path))
        {
            throw new RosterFileException($"{path} is a folder: name the roster file in it.");
        }

        if (!File.Exists(path))
        {
            throw new RosterFileException($"The file {path} does not exist.");
        }

        var (text, encodingName) = Decode(File.ReadAllBytes(path), forcedEncoding);
        return Parse(text, encodingName);
    }

    public static (string Text, string EncodingName) Decode(byte[] bytes, string? forcedEncoding)
    {
        // What Excel saves as .xlsx is a zip archive; renamed to .csv it reads as no encoding at all.
        if (bytes.AsSpan().StartsWith("PK\u0003\u0004"u8))
        {
            throw new RosterFileException("The file is an Excel workbook (.xlsx), not CSV: in Excel, save it as \"CSV UTF-8 (Comma delimited)\" and import that file.");
        }

        var bom = bytes.AsSpan() switch
        {
            [0xEF, 0xBB, 0xBF, ..] => (Encoding: (Encoding)StrictUtf8, Length: 3, Name: "UTF-8 with BOM"),
            [0xFF, 0xFE, ..] => (Encoding: new UnicodeEncoding(false, false, true), Length: 2, Name: "UTF-16LE with BOM"),
            [0xFE, 0xFF, ..] => (Encoding: new UnicodeEncoding(true, false, true), Length: 2, Name: "UTF-16BE with BOM"),
            _ => (Encoding: null, Length: 0, Name: ""),
        };

        try
        {
            switch (forcedEncoding?.ToLowerInvariant())
            {
                case Utf8:
                    var start = bom.Encoding == StrictUtf8 ? bom.Length : 0;
                    return (StrictUtf8.GetString(bytes, start, bytes.Length - start), "UTF-8 (forced)");
                case ShiftJis:
                    // Japanese in UTF-8 read as Shift_JIS is not refused byte by byte: it loads as other kanji
                    // (佐藤 as 菴占陸). A script that always names Shift_JIS would load a UTF-8 export so.
                    if (IsUtf8WithJapanese(bytes))
                    {
                        throw new RosterFileException(
                            $"The file is UTF-8 with Japanese text, which --encoding {ShiftJis} would load as other characters: leave --encoding out, or use --encoding {Utf8}.");
                    }

                    return (ShiftJisText(bytes), "Shift_JIS (forced)");
                case null:
                    break;
                default:
                    throw new RosterFileException($"Unknown encoding {forcedEncoding}: use {Utf8} or {ShiftJis}.");
            }
        }
        catch (DecoderFallbackException e)
        {
            throw new RosterFileException($"The file is not valid {forcedEncoding}{Where(bytes, e)}.");
        }

        if (bom.Encoding is not null)
        {
            try
            {
                return (bom.Encoding.GetString(bytes, bom.Length, bytes.Length - bom.Length), bom.Name);
            }
            catch (DecoderFallbackException e)
            {
                // Lines are counted in bytes: right for UTF-8, not for UTF-16's two-byte units.
                var where = bom.Encoding == StrictUtf8 ? Where(bytes, e, bom.Length) : "";
                throw new RosterFileException($"The file starts with a {bom.Name} byte-order mark but is not valid in that encoding{where}.");
            }
        }

        string? asUtf8 = null;
        try
        {
            asUtf8 = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException notUtf8)
        {
            // Not UTF-8; Japanese offices' other export is Shift_JIS. Unless Japanese text before that point
            // was UTF-8 already: one line pasted in from a Shift_JIS file would turn every UTF-8 name into
            // other kanji (佐藤 as 菴占陸) without a single byte refused.
            if (Utf8JapaneseBefore(bytes, notUtf8.Index))
            {
                throw new RosterFileException(
                    $"The file is UTF-8 with Japanese text up to a line in another encoding{Where(bytes, notUtf8)}: save that line as UTF-8 too (or the whole file as one encoding). If the file is Shift_JIS throughout, name it with --encoding {ShiftJis}.");
            }
        }

        if (asUtf8 is not null)
        {
            // Japanese text in UTF-8 is three bytes a character. Two-byte characters alone (Cyrillic,
            // accented letters) are what pairs of Shift_JIS half-width katakana look like (ﾐｷ reads as
            // з): a short file of such names reads both ways, and only the operator knows which it is.
            if (!asUtf8.Any(c => c >= '\u0800') && asUtf8.Any(c => c >= '\u0080') && ReadsAsShiftJis(bytes))
            {
                throw new RosterFileException(
                    $"The file reads both as UTF-8 and as Shift_JIS (half-width katakana in Shift_JIS look like accented or Cyrillic letters in UTF-8): name its encoding with --encoding {Utf8} or --encoding {ShiftJis}.");
            }

            return (asUtf8, "UTF-8");
        }

        try
        {
            return (ShiftJisText(bytes), "Shift_JIS");
        }
        catch (DecoderFallbackException e)
        {
            throw new RosterFileException(
                $"The file is neither UTF-8 nor Shift_JIS (as Shift_JIS it fails{Where(bytes, e)}); save it as UTF-8 or name the encoding with --encoding.");
        }
    }

    /// <summary>
    /// Whether the lines before the one holding <paramref name="index"/> are Japanese in UTF-8 (three-byte
    /// characters). Short text can read both ways: a genuine Shift_JIS name (邉蓮, E7 B3 98 40) may be
    /// valid UTF-8, and UTF-8 Japanese (佐藤) valid Shift_JIS (菴占陸). Then the reading made more of what
    /// names are made of wins: each encoding's misreading of the other is mostly rare kanji and stray signs.
    /// </summary>
    private static bool Utf8JapaneseBefore(byte[] bytes, int index)
    {
        var lineStart = index <= 0 || index > bytes.Length ? 0 : bytes.AsSpan(0, index).LastIndexOf((byte)'\n') + 1;
        var start = bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
        if (lineStart <= start)
        {
            return false;
        }

        var asUtf8 = StrictUtf8.GetString(bytes, start, lineStart - start);
        if (!asUtf8.Any(c => c >= '\u0800'))
        {
            return false;
        }

        string asShiftJis;
        try
        {
            asShiftJis = ShiftJisText(bytes[start..lineStart]);
        }
        catch (DecoderFallbackException)
        {
            return true;
        }

        return CommonShare(asUtf8) > CommonShare(asShiftJis);
    }

    /// <summary>
    /// The share of the non-ASCII characters that are kana, full-width signs or JIS level-1 kanji
    /// (第1水準, the 2 965 everyday ones: Shift_JIS 8140–9872), as against level-2 kanji, characters
    /// outside JIS X 0208, and half-width katakana, which names seldom have.
    /// </summary>
    private static double CommonShare(string text)
    {
        var shiftJis = StrictShiftJis.Value;
        Span<byte> code = stackalloc byte[8];
        Span<char> chars = stackalloc char[2];
        int others = 0, common = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.IsAscii)
            {
                continue;
            }

            others++;
            try
            {
                var length = shiftJis.GetBytes(chars[..rune.EncodeToUtf16(chars)], code);
                common += length == 2 && (code[0] << 8 | code[1]) is >= 0x8140 and <= 0x9872 ? 1 : 0;
            }
            catch (EncoderFallbackException)
            {
            }
        }

        return others == 0 ? 0 : (double)common / others;
    }

    private static bool IsUtf8WithJapanese(byte[] bytes)
    {
        try
        {
            var start = bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
            return StrictUtf8.GetString(bytes, start, bytes.Length - start).Any(c => c >= '\u0800');
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>
    /// " at line 4812 (bytes EE E0)": which character the encoding cannot read (a rare kanji variant,
    /// say), so the operator fixes one line of a long file instead of guessing.
    /// </summary>
    /// <param name="offset">Where the decoded bytes began (after a byte-order mark).</param>
    private static string Where(byte[] bytes, DecoderFallbackException failure, int offset = 0)
    {
        var index = failure.Index + offset;
        if (failure.Index < 0 || index >= bytes.Length)
        {
            return "";
        }

        // A line ends at LF, or at CR alone (Excel for Mac).
        var before = bytes.AsSpan(0, index);
        var line = before.Count((byte)'\n') + before.Count((byte)'\r') - before.Count("\r\n"u8) + 1;
        var unknown = failure.BytesUnknown is { Length: > 0 } shown ? shown : [bytes[index]];
        return $" at line {line} (bytes {string.Join(' ', unknown.Select(b => b.ToString("X2", CultureInfo.InvariantCulture)))})";
    }

    public static RosterFileContent Parse(string text, string encodingName)
    {
        var malformed = new List<RosterRejection>();
        var userIdColumn = -1;
        var options = CsvReaderOptions.Default with
        {
            // Detection could take a semicolon inside a name for the separator.
            Separator = ',',
            HasHeader = true,
            TrimWhitespace = true,
            TrackLineNumbers = true,
            // A stray quote or a short line is reported with its line, never loaded half-right.
            MalformedData = CsvMalformedDataHandling.Skip,
            FieldCountMismatch = CsvFieldCountHandling.Skip,
            OnMalformedRecord = record => malformed.Add(new RosterRejection((int)record.LineNumber, Describe(record), UserIdOf(record, userIdColumn))),
            // Roster values are personal data; messages that could reach a log leave them out.
            IncludeValuesInExceptions = false,
        };

        // A line of nothing but separators is what a spreadsheet leaves below the last row it
        // exported: read as the blank line it is, not as a malformed member (its line number stays).
        using var csv = CsvReader.FromText(SeparatorOnlyLine().Replace(text, ""), options);
        CsvRecordMapper<RosterRow> mapper;
        bool hasEmailColumn;
        List<string> unread;
        try
        {
            csv.ReadHeader();
            if (csv.Headers.Count == 0 || csv.Headers.All(string.IsNullOrWhiteSpace))
            {
                throw new RosterFileException("The file is empty; the first line must be the header (user_id,symbol,number,birthdate,name,joined_on,email).");
            }

            var headers = csv.Headers.Select(h => h.Trim()).ToList();
            var present = headers.ToHashSet(StringComparer.OrdinalIgnoreCase);
            hasEmailColumn = present.Overlaps(EmailColumn);
            var missing = RequiredColumns.Where(names => !names.Any(present.Contains)).Select(names => string.Join(" or ", names)).ToList();
            if (missing.Count > 0)
            {
                // Excel's "Unicode text" is separated by tabs, and a European locale's CSV by semicolons: the whole header reads as one column.
                var separator = headers.Count != 1 ? null : headers[0].Contains('\t') ? "tabs" : headers[0].Contains(';') ? "semicolons" : null;
                var hint = separator is null ? "" : $" It is separated by {separator}: save the file as \"CSV UTF-8 (Comma delimited)\".";
                throw new RosterFileException($"The header (first line) has no column {string.Join(", ", missing)}.{hint}");
            }

            // Both names of a column (user_id and ユーザID): only one would be read, the other dropped without a word.
            if (Columns.FirstOrDefault(names => headers.Count(h => names.Contains(h, StringComparer.OrdinalIgnoreCase)) > 1) is { } twice)
            {
                throw new RosterFileException($"The header (first line) has the column {string.Join(" or ", twice)} more than once: keep one.");
            }

            // A misspelt column (e-mail) would be dropped without a word, and every roster address with it.
            unread = headers.Where(h => h.Length > 0 && !Columns.Any(names => names.Contains(h, StringComparer.OrdinalIgnoreCase))).ToList();
            mapper = CsvRecordMapper.Create<RosterRow>(csv);
            userIdColumn = headers.FindIndex(h => Columns[0].Contains(h, StringComparer.OrdinalIgnoreCase));
        }
        catch (Exception e) when (e is CsvFormatException or KeyNotFoundException)
        {
            throw new RosterFileException($"The first line is not a roster header: {e.Message}");
        }

        var rows = new List<RosterRow>();
        while (csv.Read())
        {
            var row = csv.GetRecord(mapper);
            row.Line = (int)csv.LineNumber;
            rows.Add(row);
        }

        // An export that stopped after its header would otherwise "succeed" having loaded nobody.
        if (rows.Count == 0 && malformed.Count == 0)
        {
            throw new RosterFileException("The file has the header but no member lines below it: nothing to load. Check that the export ran to the end and that this is the roster file.");
        }

        return new RosterFileContent(encodingName, rows, malformed, hasEmailColumn, unread);
    }

    /// <summary>
    /// The user ID a malformed line names (too few or too many fields, a stray or unclosed quote), when
    /// the fields up to its column read cleanly, quoted or not: that member is in the file (not a
    /// leaver), and a second line for them is a duplicate. Null when the trouble comes before it.
    /// </summary>
    private static string? UserIdOf(CsvMalformedRecord record, int column) =>
        column >= 0 && record.RawRecord is { } raw && FieldOf(raw.Split('\r', '\n')[0], column) is { } field
            ? RosterRowValidation.NormalizedUserIdOf(field)
            : null;

    /// <summary>Field <paramref name="column"/> of one CSV line, read as RFC 4180 writes it; null when a quote goes wrong before its end.</summary>
    private static string? FieldOf(string line, int column)
    {
        var position = 0;
        for (var index = 0; ; index++)
        {
            string field;
            if (position < line.Length && line[position] == '"')
            {
                var value = new System.Text.StringBuilder();
                var at = position + 1;
                while (true)
                {
                    var quote = line.IndexOf('"', at);
                    if (quote < 0)
                    {
                        return null;
                    }

                    value.Append(line, at, quote - at);
                    if (quote + 1 < line.Length && line[quote + 1] == '"')
                    {
                        value.Append('"');
                        at = quote + 2;
                        continue;
                    }

                    position = quote + 1;
                    break;
                }

                if (position < line.Length && line[position] != ',')
                {
                    return null;
                }

                field = value.ToString();
            }
            else
            {
                var comma = line.IndexOf(',', position);
                var end = comma < 0 ? line.Length : comma;
                field = line[position..end];
                if (field.Contains('"'))
                {
                    return null;
                }

                position = end;
            }

            if (index == column)
            {
                return field;
            }

            if (position >= line.Length)
            {
                return null;
            }

            position++; // the comma
        }
    }

    private static string Describe(CsvMalformedRecord record) => record.Reason switch
    {
        CsvMalformedReason.FieldCountMismatch => "malformed CSV line: not as many fields as the header has columns",
        CsvMalformedReason.UnterminatedQuote => "malformed CSV line: a quote is never closed" + Swallowed(record),
        _ => "malformed CSV line: a stray quote",
    };

    /// <summary>
    /// An open quote takes the lines after it into its field, up to the next quote or the end: those
    /// members are missing too, and `--apply-valid` would leave them out without a word of their own.
    /// </summary>
    private static string Swallowed(CsvMalformedRecord record)
    {
        // The file's last line break, taken into the field, starts no line of its own. CR alone ends a
        // line too (Excel for Mac's "CSV (Macintosh)").
        var lines = record.RawRecord is { } raw ? LineBreak().Count(raw.TrimEnd('\r', '\n')) : 0;
        return lines == 0 ? "" : $", so lines {record.LineNumber}–{record.LineNumber + lines} were read as one line and none of them was loaded";
    }

    // Between line breaks of any kind (CRLF, LF, or CR alone), which a multiline ^ and $ would not all see.
    [System.Text.RegularExpressions.GeneratedRegex(@"(?<=\A|[\r\n])[ \t,]+(?=[\r\n]|\z)")]
    private static partial System.Text.RegularExpressions.Regex SeparatorOnlyLine();

    [System.Text.RegularExpressions.GeneratedRegex(@"\r\n|\r|\n")]
    private static partial System.Text.RegularExpressions.Regex LineBreak();

    private static bool ReadsAsShiftJis(byte[] bytes)
    {
        try
        {
            ShiftJisText(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>The bytes read as Windows reads Shift_JIS (NEC-selected codes too); throws DecoderFallbackException where they are not.</summary>
    private static string ShiftJisText(byte[] bytes)
    {
        return StrictShiftJis.Value.GetString(NecSelectedIbmExtensions.AsIbmCodes(bytes));
    }
}
