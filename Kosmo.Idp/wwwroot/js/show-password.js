// Members type a fifteen-digit initial password, often on a phone: ticking the box under a form's
// password fields shows what was typed in them. They are masked again before the form is sent, so
// the browser offers to save a password as a password, and the box starts unticked on every page.
(function () {
    document.querySelectorAll('label.show-password').forEach(function (label) {
        var box = label.querySelector('input[type=checkbox]');
        var form = label.closest('form');
        if (!box || !form) {
            return;
        }

        var fields = Array.prototype.slice.call(form.querySelectorAll('input[type=password]'));
        // Shown as text, a phone's keyboard would capitalise the first letter and suggest words.
        fields.forEach(function (field) {
            field.setAttribute('autocapitalize', 'none');
            field.setAttribute('autocorrect', 'off');
            field.setAttribute('spellcheck', 'false');
        });
        var show = function (shown) {
            box.checked = shown;
            fields.forEach(function (field) { field.type = shown ? 'text' : 'password'; });
        };

        show(false);
        label.hidden = false;
        box.addEventListener('change', function () { show(box.checked); });
        form.addEventListener('submit', function () { show(false); });
    });
})();
