/* The person pickers (incidents/people_forms.py): <select data-person-picker> with one
   <optgroup> per department. Without JavaScript the select is used as it is. With it, the
   select is hidden behind a search-as-you-type combobox (WAI-ARIA combobox pattern) that
   asks data-search-url for people of the select's role and company and writes the chosen
   id into the select, which the form posts as before. A multiple select keeps its chosen
   people as a list with a remove button each. */
(function () {
  "use strict";

  var DELAY = 200;  // ms after the last key before asking the server
  var counter = 0;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  function optionFor(select, person) {
    var value = String(person.id);
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === value) {
        return select.options[i];
      }
    }
    // Offered by the search but not in the list (it changed since the page was made).
    var option = new Option(person.label, value);
    select.appendChild(option);
    return option;
  }

  function setUp(select) {
    var multiple = select.multiple;
    var id = select.id || "person-picker-" + (++counter);
    var data = select.dataset;
    var listId = id + "-listbox";
    var wrapper = element("div", "person-picker" + (multiple ? " person-picker--multiple" : ""));
    var input = element("input", "person-picker__input");
    var list = element("ul", "person-picker__list");
    var status = element("div", "visually-hidden");
    var chosen = multiple ? element("ul", "person-picker__chosen") : null;
    var results = [];
    var active = -1;
    var timer = null;
    var asked = 0;

    input.type = "text";
    input.id = id + "-search";
    input.autocomplete = "off";
    input.placeholder = data.hint || "";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    if (select.getAttribute("aria-describedby")) {
      input.setAttribute("aria-describedby", select.getAttribute("aria-describedby"));
    }
    var required = select.required;
    if (required) {
      // The hidden select cannot take the browser's required check; the server checks it.
      input.setAttribute("aria-required", "true");
      select.required = false;
    }
    if (select.getAttribute("aria-invalid")) {
      input.setAttribute("aria-invalid", select.getAttribute("aria-invalid"));
    }
    list.id = listId;
    list.hidden = true;
    list.setAttribute("role", "listbox");
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");

    // The field's label now names the search box.
    var label = select.id ? document.querySelector("label[for='" + select.id + "']") : null;
    if (label) {
      label.htmlFor = input.id;
      if (!label.id) {
        label.id = id + "-label";
      }
      list.setAttribute("aria-labelledby", label.id);
    }

    function selectedLabel() {
      var option = select.options[select.selectedIndex];
      return option && option.value ? option.textContent : "";
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var items = list.querySelectorAll("[role=option]");
      if (!items.length) {
        return;
      }
      active = (index + items.length) % items.length;
      for (var i = 0; i < items.length; i++) {
        items[i].setAttribute("aria-selected", i === active ? "true" : "false");
      }
      input.setAttribute("aria-activedescendant", items[active].id);
      items[active].scrollIntoView({block: "nearest"});
    }

    function show(people) {
      results = people;
      list.textContent = "";
      active = -1;
      if (!people.length) {
        list.appendChild(element("li", "person-picker__empty", data.noResults));
      }
      people.forEach(function (person, index) {
        var item = element("li", "person-picker__option");
        item.id = listId + "-" + index;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.appendChild(element("span", "person-picker__name", person.name));
        var detail = [person.department, person.kana, person.username].filter(Boolean).join(" · ");
        item.appendChild(element("span", "person-picker__detail", detail));
        // mousedown, not click: the box keeps the focus, so its blur does not close the list first.
        item.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(person);
        });
        list.appendChild(item);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      status.textContent = people.length ? (data.found || "").replace("%(count)s", people.length) : data.noResults;
    }

    function search() {
      var text = input.value.trim();
      if (!text) {
        close();
        return;
      }
      var params = new URLSearchParams({q: text});
      if (data.role) {
        params.set("role", data.role);
      }
      if (data.company) {
        params.set("company", data.company);
      }
      var ticket = ++asked;
      status.textContent = data.searching || "";
      fetch(data.searchUrl + "?" + params.toString(), {
        credentials: "same-origin",
        headers: {"Accept": "application/json"}
      }).then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      }).then(function (people) {
        if (ticket !== asked) {
          return;  // an older answer arriving after a newer question
        }
        if (multiple) {
          people = people.filter(function (person) {
            return !optionFor(select, person).selected;
          });
        }
        show(people);
      }).catch(function () {
        if (ticket === asked) {
          fallBack();
        }
      });
    }

    function fallBack() {
      // The search is unavailable: give the plain list back, and say so.
      var note = element("p", "field__help person-picker__failed", data.failed);
      note.setAttribute("role", "alert");
      wrapper.replaceWith(select);
      select.parentNode.insertBefore(note, select.nextSibling);
      select.hidden = false;
      select.removeAttribute("tabindex");
      select.required = required;
      if (label) {
        label.htmlFor = select.id;
      }
    }

    function changed() {
      select.dispatchEvent(new Event("change", {bubbles: true}));
    }

    function choose(person) {
      var option = optionFor(select, person);
      if (multiple) {
        option.selected = true;
        input.value = "";
        renderChosen();
      } else {
        select.value = option.value;
        input.value = option.textContent;
      }
      close();
      changed();
      input.focus();
    }

    function renderChosen() {
      chosen.textContent = "";
      Array.prototype.forEach.call(select.selectedOptions, function (option) {
        var item = element("li", "person-picker__person");
        item.appendChild(element("span", "", option.textContent));
        var remove = element("button", "person-picker__remove", "×");
        remove.type = "button";
        remove.setAttribute("aria-label", (data.remove || "%(name)s").replace("%(name)s", option.textContent));
        remove.addEventListener("click", function () {
          option.selected = false;
          renderChosen();
          changed();
          input.focus();
        });
        item.appendChild(remove);
        chosen.appendChild(item);
      });
      chosen.hidden = !select.selectedOptions.length;
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      if (!multiple && !input.value.trim() && select.value) {
        select.value = "";  // the box emptied: nobody chosen
        changed();
      }
      timer = window.setTimeout(search, DELAY);
    });

    input.addEventListener("keydown", function (event) {
      if (event.isComposing || event.keyCode === 229) {
        return;  // the Enter or arrows of the input method (kana to kanji), not the list's
      }
      var open = !list.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (!open) {
          search();
          return;
        }
        highlight(active + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter") {
        if (open && active >= 0 && results[active]) {
          event.preventDefault();  // choosing, not sending the form
          choose(results[active]);
        } else if (open) {
          event.preventDefault();
        }
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          close();
        } else if (!multiple) {
          input.value = selectedLabel();
        }
      }
    });

    input.addEventListener("blur", function () {
      close();
      if (!multiple && input.value.trim()) {
        // Text typed but nobody chosen: show who is chosen, not a name that will not be posted.
        input.value = selectedLabel();
      } else if (multiple) {
        input.value = "";
      }
    });

    select.parentNode.insertBefore(wrapper, select);
    if (chosen) {
      chosen.setAttribute("aria-label", label ? label.textContent : "");
      wrapper.appendChild(chosen);
    }
    wrapper.appendChild(input);
    wrapper.appendChild(list);
    wrapper.appendChild(status);
    wrapper.appendChild(select);
    select.hidden = true;
    select.tabIndex = -1;
    if (multiple) {
      renderChosen();
    } else {
      input.value = selectedLabel();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("select[data-person-picker]"), setUp);
  });
})();
