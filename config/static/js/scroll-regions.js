// A table wider than its box scrolls sideways inside it (.table-wrap). Such a box takes the
// keyboard's focus, so that it can be scrolled with the arrow keys (WCAG 2.1.1), and is named
// after its table for screen readers. Boxes that fit are left out of the tab order. Without
// JavaScript the tables still scroll with the mouse or a finger.
(function () {
  "use strict";

  function nameOf(box) {
    const table = box.querySelector("table");
    const caption = table && table.querySelector("caption");
    if (caption) return caption.textContent.trim();
    if (table && table.getAttribute("aria-label")) return table.getAttribute("aria-label");
    // The nearest heading before it: its own, or its container's.
    for (let node = box; node && node !== document.body; node = node.parentElement) {
      for (let before = node.previousElementSibling; before; before = before.previousElementSibling) {
        if (/^H[1-4]$/.test(before.tagName)) return before.textContent.trim();
      }
    }
    return "";
  }

  function update() {
    document.querySelectorAll(".table-wrap").forEach(function (box) {
      const scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.dataset.scrollRegion = "";
        const name = nameOf(box);
        if (name) {
          box.setAttribute("role", "region");
          box.setAttribute("aria-label", name);
        }
      } else if (!scrolls && "scrollRegion" in box.dataset) {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
        delete box.dataset.scrollRegion;
      }
    });
  }

  let pending = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(update, 150);
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", update);
  } else {
    update();
  }
  // Details opened later (a step's form, a section) may reveal a wide table.
  document.addEventListener("toggle", update, true);
})();
