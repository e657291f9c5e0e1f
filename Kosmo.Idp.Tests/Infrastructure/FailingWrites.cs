using Npgsql;

namespace Kosmo.Idp.Tests.Infrastructure;

/// <summary>
/// Makes writes to one table fail, as a failover or a timeout would strike, until stopped: a
/// trigger raising the error PostgreSQL itself would (by default a statement timeout, 57014).
/// </summary>
public static class FailingWrites
{
    /// <param name="write">The statement that fails: "INSERT" or "UPDATE".</param>
    /// <param name="atCommit">Fail at the commit instead (a deferred constraint trigger), after every statement succeeded.</param>
    public static Task StartAsync(KosmoFactory factory, string table, string write, bool atCommit = false, string sqlState = "57014") =>
        ExecuteAsync(factory, $"""
            CREATE FUNCTION kosmo_test_fail() RETURNS trigger AS $$ BEGIN
              RAISE EXCEPTION 'failing on purpose (test)' USING ERRCODE = '{sqlState}';
            END $$ LANGUAGE plpgsql;
            {(atCommit
                ? $"CREATE CONSTRAINT TRIGGER kosmo_test_fail AFTER {write} ON {table} DEFERRABLE INITIALLY DEFERRED"
                : $"CREATE TRIGGER kosmo_test_fail BEFORE {write} ON {table}")}
              FOR EACH ROW EXECUTE FUNCTION kosmo_test_fail();
            """);

    public static Task StopAsync(KosmoFactory factory, string table) =>
        ExecuteAsync(factory, $"DROP TRIGGER kosmo_test_fail ON {table}; DROP FUNCTION kosmo_test_fail();");

    private static async Task ExecuteAsync(KosmoFactory factory, string sql)
    {
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
