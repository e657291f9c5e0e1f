using Kosmo.Idp.Mail.Notices;
using Kosmo.Idp.Operations.Startup;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Mail;

public static class MailRegistration
{
    public const string SendGridHttpClient = "sendgrid";

    public static IServiceCollection AddKosmoMail(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<MailOptions>().BindConfiguration(MailOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<MailOptions>, MailOptionsValidation>();
        services.AddHttpClient(SendGridHttpClient, (provider, client) =>
                client.Timeout = provider.GetRequiredService<IOptions<MailOptions>>().Value.SendGrid.Timeout)
            .ConfigurePrimaryHttpMessageHandler(provider => SendGridConnection.Handler(provider.GetRequiredService<IOptions<MailOptions>>().Value.SendGrid.Timeout));

        var delivery = configuration.GetValue(MailOptions.Section + ":" + nameof(MailOptions.Delivery), MailDelivery.SendGrid);
        if (delivery == MailDelivery.Folder)
        {
            services.AddSingleton<IMailSender, FolderMailSender>();
        }
        else
        {
            services.AddSingleton<IMailSender, SendGridMailSender>();
        }

        services.AddOptions<MemberNoticeOptions>().BindConfiguration(MemberNoticeOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<MemberNotices>();
        services.AddScoped<NoticeDelivery>();
        services.AddSingleton<NoticeSending>();
        services.AddHostedService(provider => provider.GetRequiredService<NoticeSending>());
        services.AddHostedService<NoticeRetryService>();
        return services;
    }
}

internal sealed class MailOptionsValidation(IHostEnvironment environment) : IValidateOptions<MailOptions>
{
    public const string ApiKeyMissing = "Mail:SendGrid:ApiKey is required (or set Mail:Delivery to Folder on a developer machine).";

    public ValidateOptionsResult Validate(string? name, MailOptions options) =>
        options.Delivery == MailDelivery.SendGrid && string.IsNullOrWhiteSpace(options.SendGrid.ApiKey)
            ? ValidateOptionsResult.Fail(ApiKeyMissing)
        : options.Delivery == MailDelivery.Folder && environment.IsDeployed()
            ? ValidateOptionsResult.Fail("Mail:Delivery Folder is for developer machines; production mails go through SendGrid.")
        // Read as a relative URI ("api.sendgrid.com"), it would fail every mail rather than the start.
        : options.SendGrid.Host is { } host && !(host.IsAbsoluteUri && host.Scheme is "https" or "http" && host.Query.Length == 0 && host.Fragment.Length == 0)
            ? ValidateOptionsResult.Fail($"Mail:SendGrid:Host must be an absolute http(s) URL such as https://api.sendgrid.com (or left empty for SendGrid's own), not '{host.OriginalString}'.")
        : ValidateOptionsResult.Success;
}
