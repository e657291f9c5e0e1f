// The copy button beside the TOTP key: for a member whose only device is the phone showing this page.
(function () {
    document.querySelectorAll('[data-copy-target]').forEach(function (button) {
        if (!navigator.clipboard) {
            button.hidden = true;
            return;
        }
        var label = button.textContent;
        var status = document.getElementById(button.getAttribute('data-copied-status'));
        // A changed button label is not read out; a status region is, when its text changes: emptied
        // first, so that a second press is announced again.
        function tell(message) {
            if (status) {
                status.textContent = '';
                window.setTimeout(function () { status.textContent = message; }, 50);
            }
        }
        button.addEventListener('click', function () {
            var text = document.getElementById(button.getAttribute('data-copy-target')).textContent.replace(/\s+/g, '');
            navigator.clipboard.writeText(text).then(function () {
                button.textContent = button.getAttribute('data-copied-label');
                tell(button.getAttribute('data-copied-label'));
                // The button says again what it does: a member may copy once more.
                window.setTimeout(function () { button.textContent = label; }, 3000);
            }, function () {
                // Seen as well as heard: the member has to select the key by hand.
                if (status) {
                    status.classList.remove('visually-hidden');
                }
                tell(button.getAttribute('data-copy-failed-label'));
            });
        });
    });
})();
