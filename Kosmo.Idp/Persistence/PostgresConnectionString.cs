using Npgsql;

namespace Kosmo.Idp.Persistence;

/// <summary>The operator's PostgreSQL connection string, with the service's defaults where it says nothing.</summary>
internal static class PostgresConnectionString
{
    private const string GssEncryptionModeKeyword = "GSS Encryption Mode";

    public static string WithDefaults(string connectionString)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new Kosmo.Idp.Operations.Startup.SettingRefusedException($"ConnectionStrings:Kosmo is not a PostgreSQL connection string Npgsql accepts: {WhyNot(connectionString, e)}");
        }

        // Npgsql 10 first asks every new connection for GSSAPI (Kerberos) encryption unless told
        // otherwise: a round trip per connection, the Kerberos libraries loaded into the process
        // (the .NET runtime images do not have them, and a failed load has left connections hanging,
        // npgsql#6524). The society's database takes a password; a Kerberos deployment says so with
        // "GSS Encryption Mode" in the connection string or PGGSSENCMODE, and is left as it asks.
        if (!builder.ShouldSerialize(GssEncryptionModeKeyword) && Environment.GetEnvironmentVariable("PGGSSENCMODE") is null)
        {
            builder.GssEncryptionMode = GssEncryptionMode.Disable;
        }

        return builder.ConnectionString;
    }

    /// <summary>
    /// Npgsql's reason names the keyword it could not take. Right after the password, that
    /// "keyword" is most likely the rest of a password holding an unquoted ';', so it is not repeated.
    /// </summary>
    private static string WhyNot(string connectionString, ArgumentException refusal)
    {
        var parts = new System.Data.Common.DbConnectionStringBuilder();
        try
        {
            parts.ConnectionString = connectionString;
        }
        catch (ArgumentException)
        {
            return "its syntax is not key=value pairs separated by ';'.";
        }

        string? previous = null;
        foreach (string keyword in parts.Keys)
        {
            try
            {
                _ = new NpgsqlConnectionStringBuilder { [keyword] = parts[keyword] };
            }
            catch (ArgumentException)
            {
                return previous is "password" or "pwd"
                    ? "the part after Password is not a setting Npgsql knows: a misspelt keyword, or the rest of a password that holds ';' (quote such a password: Password='…')."
                    : refusal.Message;
            }

            previous = keyword.ToLowerInvariant();
        }

        return refusal.Message;
    }
}
