using System.Data.Common;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Kosmo.Idp.Operations.Pages;

/// <summary>
/// What a person sees when something fails: an OAuth error that cannot be sent back to the app
/// (unknown client, unregistered redirect URI), a database that is down, or a bug. Never a stack trace.
/// </summary>
[IgnoreAntiforgeryToken]
[ResponseCache(NoStore = true, Location = ResponseCacheLocation.None)]
public sealed class ErrorModel : PageModel
{
    public string Heading { get; private set; } = "エラーが発生しました";
    public string HeadingEn { get; private set; } = "Something went wrong";
    public string Message { get; private set; } = "しばらく時間をおいてから、もう一度お試しください。";
    public string MessageEn { get; private set; } = "Please try again in a little while.";
    public string? ProtocolError { get; private set; }
    public string RequestId => HttpContext.TraceIdentifier;

    public void OnGet(int? status) => Describe(status);

    public void OnPost(int? status) => Describe(status);

    private void Describe(int? status)
    {
        var exception = HttpContext.Features.Get<IExceptionHandlerFeature>()?.Error;
        if (exception is not null && IsDatabaseUnavailable(exception))
        {
            Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            Heading = "ただいまサービスを利用できません";
            HeadingEn = "The service is temporarily unavailable";
            Message = "システムが一時的に利用できない状態です。入力済みの内容は保存されています。しばらく時間をおいてから、もう一度お試しください。";
            MessageEn = "Nothing you saved has been lost. Please try again in a few minutes.";
            return;
        }

        var oauth = HttpContext.GetOpenIddictServerResponse();
        if (!string.IsNullOrEmpty(oauth?.Error))
        {
            ProtocolError = oauth.Error;
            Heading = "このログイン要求は受け付けられません";
            HeadingEn = "This sign-in request cannot be accepted";
            Message = "ログイン元のサービスの設定に問題があります。ログイン元のサービスのページからもう一度お試しください。";
            MessageEn = "The service that sent you here made a request we cannot accept. Please start again from that service.";
            return;
        }

        if (status == StatusCodes.Status404NotFound)
        {
            Heading = "ページが見つかりません";
            HeadingEn = "Page not found";
            Message = "アドレスをご確認ください。";
            MessageEn = "Please check the address.";
        }
        else if (status == StatusCodes.Status429TooManyRequests)
        {
            Heading = "アクセスが集中しています";
            HeadingEn = "Too many requests";
            Message = "1分ほど時間をおいてから、もう一度お試しください。";
            MessageEn = "Please wait a minute and try again.";
        }
    }

    private static bool IsDatabaseUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is DbException or TimeoutException or System.Net.Sockets.SocketException
                || e.GetType().Name is "RetryLimitExceededException")
            {
                return true;
            }
        }

        return false;
    }
}
