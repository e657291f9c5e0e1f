// The print button of the recovery codes page: the page asks members to print the codes, and on a
// phone the browser's own print command is hard to find.
(function () {
    document.querySelectorAll('[data-print]').forEach(function (button) {
        if (typeof window.print !== 'function') {
            return;
        }
        button.hidden = false;
        button.addEventListener('click', function () { window.print(); });
    });
})();
