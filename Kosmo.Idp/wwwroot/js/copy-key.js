// The copy button beside the TOTP key: for a member whose only device is the phone showing this page.
(function () {
    document.querySelectorAll('[data-copy-target]').forEach(function (button) {
        if (!navigator.clipboard) {
            button.hidden = true;
            return;
        }
        button.addEventListener('click', function () {
            var text = document.getElementById(button.getAttribute('data-copy-target')).textContent.replace(/\s+/g, '');
            navigator.clipboard.writeText(text).then(function () {
                button.textContent = button.getAttribute('data-copied-label');
                // A changed button label is not read out; a status region is.
                var status = document.getElementById(button.getAttribute('data-copied-status'));
                if (status) {
                    status.textContent = button.getAttribute('data-copied-label');
                }
            });
        });
    });
})();
