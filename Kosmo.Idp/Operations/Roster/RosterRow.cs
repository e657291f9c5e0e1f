using CsvHelper;

namespace Kosmo.Idp.Operations.Roster;

/// <summary>
/// One roster line as written in the file: text only, checked by <see cref="RosterRowValidation"/>.
/// Each column also answers to the name the society's own Japanese exports use.
/// </summary>
[CsvRecord]
public sealed partial class RosterRow
{
    [CsvIgnore]
    public int Line { get; set; }

    [CsvColumn("user_id", "ユーザID", "ユーザーID")]
    public string? UserId { get; set; }

    [CsvColumn("symbol", "記号")]
    public string? Symbol { get; set; }

    [CsvColumn("number", "番号")]
    public string? Number { get; set; }

    [CsvColumn("birthdate", "生年月日")]
    public string? BirthDate { get; set; }

    [CsvColumn("name", "氏名")]
    public string? Name { get; set; }

    [CsvColumn("joined_on", "資格取得日")]
    public string? JoinedOn { get; set; }

    [CsvColumn("email", "メールアドレス", Optional = true)]
    public string? Email { get; set; }
}

/// <summary>A roster line that passed every check, in the shape a <see cref="Member"/> stores it.</summary>
public sealed record RosterEntry(
    int Line, string UserId, string NormalizedUserId, string Symbol, string Number, DateOnly BirthDate, string Name, DateOnly JoinedOn, string? Email);

/// <summary>Why a line was not loaded; <see cref="Line"/> is the 1-based line in the file, header included.</summary>
/// <param name="NormalizedUserId">The user ID the line names, when it has one: that member is in the file, however wrong the line.</param>
public sealed record RosterRejection(int Line, string Reason, string? NormalizedUserId = null);
