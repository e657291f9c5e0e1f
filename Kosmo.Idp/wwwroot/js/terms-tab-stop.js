// The terms box scrolls inside the page on a PC, so a keyboard needs to reach it to scroll it
// (the page serves it with tabindex="0"). On a phone it grows to its full length and scrolls with
// the page: there a tab stop would only add a press that moves nothing.
(function () {
    var box = document.getElementById('terms-text');
    if (!box) {
        return;
    }

    function update() {
        if (box.scrollHeight > box.clientHeight + 1) {
            box.setAttribute('tabindex', '0');
        } else {
            box.removeAttribute('tabindex');
        }
    }

    update();
    // Again once the web fonts and the rest have loaded, which can change the text's height.
    window.addEventListener('load', update);
    window.addEventListener('resize', update);
})();
