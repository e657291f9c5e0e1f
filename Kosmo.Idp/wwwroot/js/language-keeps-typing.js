// Switching the language reopens the page, which would lose what the member typed: a member who
// switches to English to read an error would find an empty form. What was typed in the page's own
// forms goes along (never a password or a code), for this tab only, and is taken back at once.
(function () {
    var key = 'kosmo-typed';
    var secret = function (input) {
        return input.type === 'password' || input.type === 'hidden' || input.type === 'checkbox' || input.type === 'radio'
            || /one-time-code|password/.test(input.getAttribute('autocomplete') || '');
    };

    var kept = null;
    try {
        kept = JSON.parse(window.sessionStorage.getItem(key) || 'null');
        window.sessionStorage.removeItem(key);
    } catch (e) {
        kept = null;
    }

    // Only on the page it was typed on, and only just now.
    if (kept && kept.path === window.location.pathname && Date.now() - kept.at < 60000) {
        document.querySelectorAll('main form input').forEach(function (input) {
            if (!secret(input) && input.name && !input.value && Object.prototype.hasOwnProperty.call(kept.values, input.name)) {
                input.value = kept.values[input.name];
            }
        });
    }

    var switcher = document.querySelector('form.language-switch');
    if (!switcher || !window.sessionStorage) {
        return;
    }

    switcher.addEventListener('submit', function () {
        var values = {};
        document.querySelectorAll('main form input').forEach(function (input) {
            if (!secret(input) && input.name && input.value) {
                values[input.name] = input.value;
            }
        });
        try {
            window.sessionStorage.setItem(key, JSON.stringify({ path: window.location.pathname, at: Date.now(), values: values }));
        } catch (e) {
            // Storage refused (private mode, full): the page reopens empty, as before.
        }
    });
})();
