using System.Net.Sockets;

namespace Kosmo.Idp.Mail;

/// <summary>
/// Connections to SendGrid open within half the mail timeout, or fail as not reached. A connection
/// that never opened (a firewall dropping the packets, a partition) sent nothing: the member is told
/// to try again and the send is given back. Only a request that went out and got no answer in time
/// may have been taken (<see cref="MailMaybeSentException"/>); without this bound both would look alike.
/// </summary>
public static class SendGridConnection
{
    public static SocketsHttpHandler Handler(TimeSpan requestTimeout)
    {
        var connectWithin = requestTimeout / 2;
        return new SocketsHttpHandler
        {
            // DNS changes behind api.sendgrid.com are picked up by new connections.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectCallback = async (context, cancellationToken) =>
            {
                using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                bounded.CancelAfter(connectWithin);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, bounded.Token);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    socket.Dispose();
                    throw new MailServerNotReachedException($"no connection to {context.DnsEndPoint.Host} within {connectWithin.TotalSeconds:0.#} s");
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
    }
}

/// <summary>The mail provider's address could not be connected to: nothing was sent.</summary>
public sealed class MailServerNotReachedException(string message) : IOException(message);
