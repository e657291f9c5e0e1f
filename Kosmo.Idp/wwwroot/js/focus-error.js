// A page answered with a refusal puts the member at it: the first field marked invalid (its label
// and message are read out with it), else the page's error message. Otherwise the answer of a long
// page (the account page, the app setup) opens at its top, the message out of sight, and reads as
// if the change was made.
(function () {
    var field = document.querySelector('main [aria-invalid="true"]');
    var target = field || document.querySelector('main .form-error[role="alert"]');
    if (!target) {
        return;
    }

    if (!field) {
        target.setAttribute('tabindex', '-1');
    }

    target.focus();
})();
