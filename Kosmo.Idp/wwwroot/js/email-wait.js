// Moves the email page on by itself once the link was opened, here or on another device.
// Without JavaScript the member presses 更新 instead; this only saves that press.
(function () {
    var notice = document.getElementById('email-sent');
    if (!notice || !window.fetch) {
        return;
    }

    var statusUrl = notice.getAttribute('data-status-url');
    var refreshUrl = notice.getAttribute('data-refresh-url');
    var started = Date.now();
    var giveUpAfter = 60 * 60 * 1000;

    function check() {
        if (Date.now() - started > giveUpAfter) {
            return;
        }
        fetch(statusUrl, { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
            .then(function (response) { return response.ok ? response.json() : { moveOn: false }; })
            .then(function (status) {
                if (status.moveOn) {
                    window.location.assign(refreshUrl);
                } else {
                    window.setTimeout(check, 3000);
                }
            })
            .catch(function () { window.setTimeout(check, 10000); });
    }

    window.setTimeout(check, 3000);
})();
