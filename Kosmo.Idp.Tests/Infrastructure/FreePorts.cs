using System.Net;
using System.Net.Sockets;

namespace Kosmo.Idp.Tests.Infrastructure;

/// <summary>
/// A loopback port nothing listens on, for a server the tests start and must name beforehand
/// (redirect URIs, a child process's settings). Taken below Linux's ephemeral range
/// (net.ipv4.ip_local_port_range, 32768 and up): a port the system handed out and took back could
/// become the local end of some outgoing connection before the server binds it; one below the
/// range is only ever taken by another listener, which the bind test here sees.
/// </summary>
public static class FreePorts
{
    private const int First = 20_000;
    private const int Last = 32_000;

    public static int Next()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(First, Last);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // In use: draw again.
            }
        }

        throw new InvalidOperationException($"No free loopback port between {First} and {Last}.");
    }
}
