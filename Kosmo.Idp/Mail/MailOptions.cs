using System.ComponentModel.DataAnnotations;

namespace Kosmo.Idp.Mail;

public sealed class MailOptions
{
    public const string Section = "Mail";

    public MailDelivery Delivery { get; set; } = MailDelivery.SendGrid;

    /// <summary>The manual's sender: no-reply@kosmo-web.jp.</summary>
    [Required, EmailAddress]
    public string FromAddress { get; set; } = "";

    /// <summary>The sender's display name, 健康保険組合 in the manual.</summary>
    [Required]
    public string FromName { get; set; } = "";

    /// <summary>Where <see cref="MailDelivery.Folder"/> writes mails (Development).</summary>
    public string Folder { get; set; } = "App_Data/mail";

    /// <summary>Checked at start with the rest (its timeout's range): nested settings are not, by default.</summary>
    [Microsoft.Extensions.Options.ValidateObjectMembers]
    public SendGridOptions SendGrid { get; set; } = new();
}

public sealed class SendGridOptions
{
    public string ApiKey { get; set; } = "";

    /// <summary>Another API host (a local recorder in tests); SendGrid's own when empty.</summary>
    public Uri? Host { get; set; }

    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}

public enum MailDelivery
{
    /// <summary>Through SendGrid's v3 API.</summary>
    SendGrid,

    /// <summary>Written to files and announced in the log, for a developer's machine.</summary>
    Folder,
}
