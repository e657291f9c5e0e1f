using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace Kosmo.Idp.Persistence;

public static class PersistenceRegistration
{
    public const string ConnectionStringName = "Kosmo";

    public static WebApplicationBuilder AddKosmoPersistence(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section);

        var postgres = builder.Configuration.GetConnectionString(ConnectionStringName);
        if (!string.IsNullOrWhiteSpace(postgres))
        {
            builder.Services.AddDbContext<KosmoDbContext, PostgresKosmoDbContext>(options =>
            {
                options.UseNpgsql(postgres).UseSnakeCaseNamingConvention();
                options.UseOpenIddict();
            });
        }
        else if (builder.Environment.IsProduction())
        {
            throw new InvalidOperationException(
                "ConnectionStrings:Kosmo must name the PostgreSQL database in production; the embedded SQLite file is for development only.");
        }
        else
        {
            var sqliteFile = SqliteFile(builder);
            builder.Services.AddDbContext<KosmoDbContext, SqliteKosmoDbContext>(options =>
            {
                options.UseSqlite($"Data Source={sqliteFile}").UseSnakeCaseNamingConvention();
                options.UseOpenIddict();
            });
        }

        // Replicas share the key ring, so a cookie written by one is read by the others.
        var dataProtection = builder.Services.AddDataProtection()
            .SetApplicationName("Kosmo.Idp")
            .PersistKeysToDbContext<KosmoDbContext>();

        // The ring protects the signing keys and member secrets; outside Development the ring
        // itself is encrypted with a certificate that is not in the database.
        var certificatePath = builder.Configuration["DataProtection:CertificatePath"];
        if (!string.IsNullOrEmpty(certificatePath))
        {
            dataProtection.ProtectKeysWithCertificate(X509CertificateLoader.LoadPkcs12FromFile(
                certificatePath, builder.Configuration["DataProtection:CertificatePassword"]));
        }
        else if (builder.Environment.IsProduction())
        {
            throw new InvalidOperationException(
                "DataProtection:CertificatePath must name a PFX file in production: it encrypts the key ring stored in the database.");
        }

        builder.Services.AddScoped<DatabaseMigrator>();
        return builder;
    }

    private static string SqliteFile(WebApplicationBuilder builder)
    {
        var configured = builder.Configuration[$"{DatabaseOptions.Section}:{nameof(DatabaseOptions.SqlitePath)}"]
            ?? new DatabaseOptions().SqlitePath;
        var path = Path.GetFullPath(configured, builder.Environment.ContentRootPath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }
}
