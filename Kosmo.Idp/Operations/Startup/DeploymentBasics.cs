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
    /// <summary>
    /// The refusal of a deployment whose database or certificate setting is empty (where the service is
    /// built finds it so), naming every basic setting that is empty.
    /// </summary>
    public static Exception Refusal(IConfiguration settings)
    {
        var missing = new List<string>();
        if (string.IsNullOrWhiteSpace(settings.GetConnectionString(PersistenceRegistration.ConnectionStringName)))
        {
            missing.Add("ConnectionStrings:Kosmo must name the PostgreSQL database in production; the embedded SQLite file is for development only.");
        }

        if (string.IsNullOrEmpty(settings["DataProtection:CertificatePath"]))
        {
            missing.Add("DataProtection:CertificatePath must name a PFX file in production: it encrypts the key ring stored in the database.");
        }

        // Alone, these two are named by their sections' checks, with the rest of the sections.
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

        return missing.Count == 1
            ? new SettingRefusedException(missing[0])
            : new AggregateException(missing.Select(message => new SettingRefusedException(message)));
    }
}
