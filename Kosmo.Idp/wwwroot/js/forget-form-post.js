// A page drawn in answer to a form (a refusal shown by its field, an error page) is, to the browser,
// the answer to a POST: Back to it from the next page, or a reload, would ask to send the form again
// (Chrome's "Confirm Form Resubmission"), which no member can make sense of, and would send a
// password or a code a second time. Its history entry becomes the page's own address instead,
// opened afresh by GET.
(function () {
    var here = document.currentScript && document.currentScript.getAttribute('data-here');
    if (here && window.history && window.history.replaceState) {
        window.history.replaceState(window.history.state, '', here);
    }
})();
