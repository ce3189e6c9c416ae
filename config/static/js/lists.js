// List pages on a phone: the filter bar starts folded (its summary says how many filters
// are on), so that the first rows are in view. Without JavaScript it stays open.
(function () {
  "use strict";
  if (!window.matchMedia("(max-width: 720px)").matches) return;
  document.querySelectorAll("details.filters-fold:not([data-keep-open])").forEach(function (fold) {
    fold.open = false;
  });
})();
