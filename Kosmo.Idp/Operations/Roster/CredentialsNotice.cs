using CsvHelper;

namespace Kosmo.Idp.Operations.Roster;

/// <summary>One line of the paper notice 資格情報のお知らせ: who the member is and the password they start with.</summary>
public sealed record CredentialsNoticeLine(string UserId, string Name, string Symbol, string Number, string InitialPassword);

/// <summary>
/// The file the society prints the notices from. It holds passwords in clear, so it is created
/// readable by its owner only and never replaces an existing file (which may be an unprinted notice).
/// </summary>
public static class CredentialsNotice
{
    public static string DefaultPath(DateTimeOffset now) =>
        Path.GetFullPath($"credentials-notice-{now:yyyyMMdd-HHmmss}.csv");

    public static void Write(string path, IEnumerable<CredentialsNoticeLine> lines)
    {
        // Excel only reads Japanese in a CSV correctly when the file starts with a UTF-8 byte-order mark.
        using var file = Shared.PrivateFiles.CreateNew(path);
        using var csv = CsvWriter.Create(file, CsvWriterOptions.Default with { WriteByteOrderMark = true });
        csv.WriteHeader(["user_id", "name", "symbol", "number", "initial_password"]);
        foreach (var line in lines)
        {
            csv.WriteRecord([line.UserId, line.Name, line.Symbol, line.Number, line.InitialPassword]);
        }

        csv.Flush();
    }
}
