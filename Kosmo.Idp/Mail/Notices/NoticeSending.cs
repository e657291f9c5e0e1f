using System.Threading.Channels;

namespace Kosmo.Idp.Mail.Notices;

/// <summary>
/// Sends each notice a request saved as soon as the request has answered, one after another, off
/// the request. What is still queued when the process stops stays saved and goes out with the
/// next retry round (<see cref="NoticeRetryService"/>).
/// </summary>
public sealed class NoticeSending(IServiceScopeFactory scopes, ILogger<NoticeSending> logger) : BackgroundService
{
    private readonly Channel<Guid> _saved = Channel.CreateUnbounded<Guid>(new UnboundedChannelOptions { SingleReader = true });

    public void Post(Guid noticeId) => _saved.Writer.TryWrite(noticeId);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var id in _saved.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await using var scope = scopes.CreateAsyncScope();
                    await scope.ServiceProvider.GetRequiredService<NoticeDelivery>().SendAsync(id, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The notice stays saved and due; the retry round sends it.
                    logger.LogError(e, "Sending notice {NoticeId} failed", id);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is left is saved.
        }
    }
}
