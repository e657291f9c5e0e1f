namespace Kosmo.Idp.Mail;

/// <summary>
/// Sending a mail whose secret (a link, a code) was saved before it went out: what the limits
/// counted must be given back when nothing was sent, or a member whose mail provider was down would
/// be held back by a cooldown for a mail that never arrived.
/// </summary>
public static class ReservedMail
{
    /// <summary>True when the mail went out; false, after <paramref name="undo"/>, when the provider refused it. A cancelled send is undone too, and rethrown.</summary>
    public static async Task<bool> SendOrUndoAsync(IMailSender mail, MailMessage message, Func<Task> undo, CancellationToken cancellationToken)
    {
        try
        {
            await mail.SendAsync(message, cancellationToken);
            return true;
        }
        catch (Exception e) when (e is MailNotSentException or OperationCanceledException)
        {
            await undo();
            if (e is OperationCanceledException)
            {
                throw;
            }

            return false;
        }
    }
}
