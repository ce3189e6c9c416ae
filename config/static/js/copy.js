/* Copy buttons for read-only text boxes: <button data-copy="ID" data-copied="…" hidden>.
   Without JavaScript the buttons stay hidden and the text stays selectable in its box. */
(function () {
  "use strict";

  function copyText(source) {
    var text = source.value !== undefined ? source.value : source.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain http (no Clipboard API): select the box and use the older command.
    source.focus();
    source.select();
    var done = document.execCommand && document.execCommand("copy");
    return done ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  function setUp(button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) {
      return;
    }
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      copyText(source).then(function () {
        button.textContent = button.getAttribute("data-copied");
        button.classList.add("is-copied");
        window.setTimeout(function () {
          button.textContent = label;
          button.classList.remove("is-copied");
        }, 2000);
      }, function () {
        // Leave the text selected so that the user can copy it by hand.
        source.focus();
        source.select();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), setUp);
  });
})();
