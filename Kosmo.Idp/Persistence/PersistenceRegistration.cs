using Kosmo.Idp.Operations.Startup;
using Microsoft.EntityFrameworkCore.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;
using Microsoft.EntityFrameworkCore;

namespace Kosmo.Idp.Persistence;

public static class PersistenceRegistration
{
    public const string ConnectionStringName = "Kosmo";

    public static WebApplicationBuilder AddKosmoPersistence(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section).ValidateOnStart();

        var configured = builder.Configuration.GetConnectionString(ConnectionStringName);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            var postgres = PostgresConnectionString.WithDefaults(configured);
            builder.Services.AddDbContext<KosmoDbContext, PostgresKosmoDbContext>(options =>
            {
                options.UseNpgsql(postgres).UseSnakeCaseNamingConvention();
                options.AddInterceptors(new CommittedTransactions());
                options.UseOpenIddict();
                FailuresReportedByTheirCaller(options);
            });
        }
        else if (builder.Environment.IsDeployed())
        {
            throw Kosmo.Idp.Operations.Startup.DeploymentBasics.Refusal(builder.Configuration);
        }
        else
        {
            var sqliteFile = SqliteFile(builder);
            builder.Services.AddDbContext<KosmoDbContext, SqliteKosmoDbContext>(options =>
            {
                options.UseSqlite($"Data Source={sqliteFile}").UseSnakeCaseNamingConvention();
                options.AddInterceptors(new SqliteConnectionSetup(), new CommittedTransactions());
                options.UseOpenIddict();
                FailuresReportedByTheirCaller(options);
            });
        }

        // Replicas share the key ring, so a cookie written by one is read by the others.
        var dataProtection = builder.Services.AddDataProtection()
            .SetApplicationName("Kosmo.Idp")
            .PersistKeysToDbContext<KosmoDbContext>();

        // The ring protects the signing keys and member secrets; outside Development the ring
        // itself is encrypted with a certificate that is not in the database.
        var certificatePath = builder.Configuration["DataProtection:CertificatePath"];
        X509Certificate2? certificate = null;
        if (!string.IsNullOrEmpty(certificatePath))
        {
            certificate = LoadCertificate(certificatePath, builder.Configuration["DataProtection:CertificatePassword"]);
            dataProtection.ProtectKeysWithCertificate(certificate);
        }
        else if (builder.Environment.IsDeployed())
        {
            throw Kosmo.Idp.Operations.Startup.DeploymentBasics.Refusal(builder.Configuration);
        }

        builder.Services.AddSingleton(services => new KeyRingCertificate(certificate, services.GetRequiredService<TimeProvider>()));
        // After PersistKeysToDbContext's own setting, which it wraps.
        builder.Services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(services => new ConfigureOptions<KeyManagementOptions>(options =>
            options.XmlRepository = new CertificateCheckedKeyRepository(
                new EntityFrameworkCoreXmlRepository<KosmoDbContext>(services, services.GetRequiredService<ILoggerFactory>()),
                services.GetRequiredService<KeyRingCertificate>())));

        builder.Services.AddScoped<DatabaseMigrator>();
        return builder;
    }

    /// <summary>The usual first-deploy mistakes (a misnamed mount, a wrong password) named as such, not as a bare cryptographic error.</summary>
    private static X509Certificate2 LoadCertificate(string path, string? password)
    {
        if (!File.Exists(path))
        {
            throw new Kosmo.Idp.Operations.Startup.SettingRefusedException($"DataProtection:CertificatePath names '{path}', which does not exist (check the Secret's key and the volume mount).");
        }

        try
        {
            // A permission problem would otherwise surface as the cryptographic error of a wrong password.
            using (File.OpenRead(path))
            {
            }
        }
        catch (UnauthorizedAccessException)
        {
            throw new Kosmo.Idp.Operations.Startup.SettingRefusedException(
                $"DataProtection:CertificatePath '{path}' exists but user {Environment.UserName} may not read it: check the file's owner and mode (the image runs as uid 1654; a Secret volume's defaultMode must let it read).");
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new Kosmo.Idp.Operations.Startup.SettingRefusedException(
                $"DataProtection:CertificatePath '{path}' could not be read as a PFX file with DataProtection:CertificatePassword: {e.Message}", e);
        }

        // Without its RSA private key the ring can be encrypted but never read back: every start would
        // fail on "Unable to retrieve the decryption key" after adding a key no replica can open.
        using var rsa = certificate.GetRSAPrivateKey();
        if (rsa is null)
        {
            var found = certificate.HasPrivateKey ? "a private key that is not RSA" : "no private key";
            certificate.Dispose();
            throw new Kosmo.Idp.Operations.Startup.SettingRefusedException(
                $"DataProtection:CertificatePath '{path}' holds a certificate with {found}: the key ring needs the certificate's RSA private key in the PFX (openssl pkcs12 -export -inkey <key> -in <certificate>).");
        }

        return certificate;
    }

    /// <summary>
    /// A failed statement is reported by whoever ran it: the request's event (at Error with the
    /// exception, at Warning for contention such as a lock timeout), a background job's own line,
    /// a command's "Failed:". EF Core's own events would report each failure again, at Error even
    /// for contention, and set off error-rate alerts; at Warning they keep the statement for diagnosis.
    /// </summary>
    private static void FailuresReportedByTheirCaller(DbContextOptionsBuilder options) =>
        options.ConfigureWarnings(warnings => warnings.Log(
            (RelationalEventId.CommandError, LogLevel.Warning),
            (RelationalEventId.TransactionError, LogLevel.Warning),
            (CoreEventId.SaveChangesFailed, LogLevel.Warning)));

    private static string SqliteFile(WebApplicationBuilder builder)
    {
        var configured = builder.Configuration[$"{DatabaseOptions.Section}:{nameof(DatabaseOptions.SqlitePath)}"]
            ?? new DatabaseOptions().SqlitePath;
        return Path.GetFullPath(configured, builder.Environment.ContentRootPath);
    }
}
