using System.Text;

namespace Kosmo.Idp.Tests.Infrastructure;

/// <summary>Roster CSV files as the society's offices produce them, in a folder of the test's own.</summary>
public sealed class RosterFiles : IDisposable
{
    public const string EnglishHeader = "user_id,symbol,number,birthdate,name,joined_on,email";
    public const string JapaneseHeader = "ユーザID,記号,番号,生年月日,氏名,資格取得日,メールアドレス";

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("kosmo-roster-").FullName;

    public static Encoding ShiftJis
    {
        get
        {
            Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
            return Encoding.GetEncoding(932);
        }
    }

    public string NoticePath => Path.Combine(Directory, "notice.csv");

    /// <summary>Writes the lines (header first) in the encoding, with its byte-order mark when asked.</summary>
    public string Write(IEnumerable<string> lines, Encoding? encoding = null, bool byteOrderMark = false, string name = "roster.csv")
    {
        encoding ??= new UTF8Encoding(false);
        var path = Path.Combine(Directory, name);
        var text = string.Join("\r\n", lines) + "\r\n";
        var bytes = (byteOrderMark ? encoding.GetPreamble() : []).Concat(encoding.GetBytes(text)).ToArray();
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
