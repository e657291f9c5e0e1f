using Kosmo.Idp.Mail;
using Kosmo.Idp.Persistence;
using Kosmo.Idp.Protocol;

namespace Kosmo.Idp.Operations.Startup;

/// <summary>
/// The settings a deployment always needs, which a first start in a new environment usually lacks
/// together. The database and certificate are needed to build the service at all, so their checks
/// cannot wait for the settings sections' own; without this, each start named one missing setting
/// and an operator needed three restarts to learn of three.
/// </summary>
internal static class DeploymentBasics
{
    public const string ConnectionStringMissing =
        "ConnectionStrings:Kosmo must name the PostgreSQL database in production; the embedded SQLite file is for development only.";

    public const string CertificateMissing =
        "DataProtection:CertificatePath must name a PFX file in production: it encrypts the key ring stored in the database.";

    /// <summary>Refuses the start, naming every basic setting that is empty, when the database or certificate is one of them.</summary>
    public static void RefuseWhatIsMissing(WebApplicationBuilder builder)
    {
        if (!builder.Environment.IsDeployed())
        {
            return;
        }

        var settings = builder.Configuration;
        var missing = new List<string>();
        if (string.IsNullOrWhiteSpace(settings.GetConnectionString(PersistenceRegistration.ConnectionStringName)))
        {
            missing.Add(ConnectionStringMissing);
        }

        if (string.IsNullOrEmpty(settings["DataProtection:CertificatePath"]))
        {
            missing.Add(CertificateMissing);
        }

        // Only alongside the two above: alone, these two are named by their sections' checks, with the rest of the sections.
        if (missing.Count == 0)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(settings[$"{ProtocolOptions.Section}:{nameof(ProtocolOptions.Issuer)}"]))
        {
            missing.Add(ProtocolOptionsValidation.IssuerMissing);
        }

        var delivery = settings[$"{MailOptions.Section}:{nameof(MailOptions.Delivery)}"];
        if ((string.IsNullOrEmpty(delivery) || delivery.Equals(nameof(MailDelivery.SendGrid), StringComparison.OrdinalIgnoreCase))
            && string.IsNullOrWhiteSpace(settings[$"{MailOptions.Section}:SendGrid:ApiKey"]))
        {
            missing.Add(MailOptionsValidation.ApiKeyMissing);
        }

        throw missing.Count == 1
            ? new SettingRefusedException(missing[0])
            : new AggregateException(missing.Select(message => new SettingRefusedException(message)));
    }
}
