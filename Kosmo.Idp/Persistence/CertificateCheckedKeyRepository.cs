using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace Kosmo.Idp.Persistence;

/// <summary>
/// The database's key ring, refusing to add a key while the ring's current keys are encrypted
/// with another certificate than this process has (see <see cref="KeyRingCertificate"/>): that key
/// would be unreadable to every other replica. Operator commands and the service alike.
/// </summary>
internal sealed class CertificateCheckedKeyRepository(IXmlRepository ring, KeyRingCertificate certificate) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements() => ring.GetAllElements();

    public void StoreElement(XElement element, string friendlyName)
    {
        if (element.Name.LocalName == "key" && certificate.MismatchIn(ring.GetAllElements()) is { } mismatch)
        {
            throw new InvalidOperationException(mismatch + " No Data Protection key was added.");
        }

        ring.StoreElement(element, friendlyName);
    }
}
