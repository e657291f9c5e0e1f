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
            // Npgsql names the keyword it could not take, never the value (which may be the password).
            throw new InvalidOperationException($"ConnectionStrings:Kosmo is not a PostgreSQL connection string Npgsql accepts: {e.Message}", e);
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
}
