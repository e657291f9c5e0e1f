// A double click sends a form once. The second request would otherwise race the first: a code
// already used, a mail "just sent", and its answer is the page the member sees. Released after a
// few seconds (a form whose answer is a download leaves the page as it was) and when the page
// comes back from the browser's history.
(function () {
    document.addEventListener('submit', function (event) {
        var form = event.target;
        if (form.getAttribute('data-sending')) {
            event.preventDefault();
            return;
        }
        form.setAttribute('data-sending', 'true');
        window.setTimeout(function () { form.removeAttribute('data-sending'); }, 5000);
    });

    window.addEventListener('pageshow', function () {
        var sending = document.querySelectorAll('form[data-sending]');
        for (var i = 0; i < sending.length; i++) {
            sending[i].removeAttribute('data-sending');
        }
    });
})();
