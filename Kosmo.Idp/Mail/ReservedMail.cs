namespace Kosmo.Idp.Mail;

/// <summary>
/// Sending a mail whose secret (a link, a code) was saved before it went out: what the limits
/// counted must be given back when nothing was sent, or a member whose mail provider was down would
/// be held back by a cooldown for a mail that never arrived.
/// </summary>
public static class ReservedMail
{
    /// <summary>
    /// Runs <paramref name="undo"/> when the provider refused the mail (and when the send was cancelled,
    /// which is rethrown). A mail the provider may have taken (<see cref="MailMaybeSentException"/>)
    /// keeps its reservation: its secret must work if it arrives, and the cooldown then holds back
    /// a second mail for a short while only.
    /// </summary>
    public static async Task<MailHandOver> SendOrUndoAsync(IMailSender mail, MailMessage message, Func<Task> undo, CancellationToken cancellationToken)
    {
        try
        {
            await mail.SendAsync(message, cancellationToken);
            return MailHandOver.Sent;
        }
        catch (MailMaybeSentException)
        {
            return MailHandOver.Unconfirmed;
        }
        catch (Exception e) when (e is MailNotSentException or OperationCanceledException)
        {
            await undo();
            if (e is OperationCanceledException)
            {
                throw;
            }

            return e is MailAddressRefusedException ? MailHandOver.AddressRefused : MailHandOver.NotSent;
        }
    }
}

public enum MailHandOver
{
    Sent,

    /// <summary>Given back: the member may retry at once.</summary>
    NotSent,

    /// <summary>Given back, and sending again cannot help: the provider refuses the address itself.</summary>
    AddressRefused,

    /// <summary>The provider did not answer in time; the mail may still arrive, and what it carries works.</summary>
    Unconfirmed,
}
