// Progressive enhancement only: the site works without this file.
// "/" focuses the search box (unless the reader is already typing somewhere).
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    var target = event.target;
    var tag = target && target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable)) {
      return;
    }
    var box = document.querySelector("[data-search-box]");
    if (box) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });
})();

// Sorting applies as soon as a new order is chosen (the button stays for no-JS).
(function () {
  "use strict";
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) {
        select.form.submit();
      }
    });
  });
})();

// Suggestions under the search box as the reader types: the WAI-ARIA combobox
// pattern (a listbox the input controls). Up/Down move, Enter opens the active
// suggestion, Escape closes the list, a click opens one; without this the box
// is a plain search field. Suggestion text is only ever set as textContent.
(function () {
  "use strict";
  var DEBOUNCE_MS = 120;
  var LIMIT = 8;
  var MAX_CHARS = 100; // the API answers 400 past this (archive.search.suggestions)

  function enhance(input) {
    var endpoint = input.getAttribute("data-suggest");
    var field = input.parentNode;
    if (!endpoint || !window.fetch || !input.id || !field) {
      return;
    }
    var listId = input.id + "-suggestions";
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "suggest-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", input.getAttribute("data-suggest-label") || "");
    list.hidden = true;
    var status = document.createElement("div");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    field.appendChild(list);
    field.appendChild(status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);

    var items = [];
    var shownFor = null; // the text the list answers
    var active = -1;
    var timer = null;
    var controller = null;

    function isOpen() {
      return !list.hidden;
    }

    function open() {
      if (items.length && !isOpen()) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      }
    }

    function close() {
      setActive(-1);
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
    }

    function setActive(index, scroll) {
      var options = list.children;
      if (active >= 0 && options[active]) {
        options[active].setAttribute("aria-selected", "false");
        options[active].classList.remove("active");
      }
      active = index;
      if (active >= 0 && options[active]) {
        options[active].setAttribute("aria-selected", "true");
        options[active].classList.add("active");
        input.setAttribute("aria-activedescendant", options[active].id);
        if (scroll && options[active].scrollIntoView) {
          options[active].scrollIntoView({ block: "nearest" });
        }
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function move(step) {
      if (!items.length) {
        return;
      }
      if (!isOpen()) {
        open();
        setActive(step > 0 ? 0 : items.length - 1, true);
        return;
      }
      var next = active + step;
      if (next >= items.length) {
        next = -1; // past the last: back to the text as typed
      } else if (next < -1) {
        next = items.length - 1;
      }
      setActive(next, true);
    }

    function go(index) {
      var url = items[index] && items[index].url;
      // Only addresses on this site (the API gives paths).
      if (typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/") {
        close();
        window.location.assign(url);
      }
    }

    function textWithMatch(text, typed) {
      var fragment = document.createDocumentFragment();
      var at = typed ? text.toLowerCase().indexOf(typed.toLowerCase()) : -1;
      if (at < 0) {
        fragment.appendChild(document.createTextNode(text));
        return fragment;
      }
      var match = document.createElement("span");
      match.className = "suggest-match";
      match.textContent = text.slice(at, at + typed.length);
      fragment.appendChild(document.createTextNode(text.slice(0, at)));
      fragment.appendChild(match);
      fragment.appendChild(document.createTextNode(text.slice(at + typed.length)));
      return fragment;
    }

    function render(found, typed) {
      close();
      while (list.firstChild) {
        list.removeChild(list.firstChild);
      }
      items = [];
      found.forEach(function (item) {
        if (!item || typeof item.text !== "string" || typeof item.url !== "string") {
          return;
        }
        var option = document.createElement("li");
        option.id = listId + "-" + items.length;
        option.className = "suggest-option suggest-" + String(item.kind).replace(/[^a-z]/g, "");
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.setAttribute("data-index", String(items.length));
        var text = document.createElement("span");
        text.className = "suggest-text";
        text.appendChild(textWithMatch(item.text, typed));
        option.appendChild(text);
        var kind = input.getAttribute("data-kind-" + item.kind);
        if (kind) {
          var label = document.createElement("span");
          label.className = "suggest-kind";
          label.textContent = kind;
          option.appendChild(label);
        }
        list.appendChild(option);
        items.push(item);
      });
      shownFor = typed;
      var message = input.getAttribute("data-suggest-status") || "";
      status.textContent = items.length ? message.replace("{count}", String(items.length)) : "";
      if (items.length && document.activeElement === input) {
        open();
      }
    }

    function fetchFor(typed) {
      if (controller) {
        controller.abort(); // a newer keystroke: the older answer is stale
      }
      controller = window.AbortController ? new AbortController() : null;
      var url = endpoint + "?q=" + encodeURIComponent(typed) + "&limit=" + LIMIT;
      window
        .fetch(url, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
          signal: controller ? controller.signal : undefined,
        })
        .then(function (response) {
          return response.ok ? response.json() : { suggestions: [] };
        })
        .then(function (data) {
          if (input.value.trim() === typed) {
            render((data && data.suggestions) || [], typed);
          }
        })
        .catch(function () {
          /* aborted or offline: the box still searches as typed */
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      var typed = input.value.trim();
      if (!typed || typed.length > MAX_CHARS) {
        if (controller) {
          controller.abort();
        }
        render([], "");
        return;
      }
      timer = window.setTimeout(function () {
        fetchFor(typed);
      }, DEBOUNCE_MS);
    });

    input.addEventListener("keydown", function (event) {
      if (event.isComposing || event.keyCode === 229) {
        return; // an input method is composing: its keys are its own
      }
      if (event.key === "ArrowDown" || event.key === "Down") {
        event.preventDefault();
        move(1);
      } else if (event.key === "ArrowUp" || event.key === "Up") {
        event.preventDefault();
        move(-1);
      } else if (event.key === "Enter") {
        if (isOpen() && active >= 0) {
          event.preventDefault();
          go(active);
        }
      } else if (event.key === "Escape" || event.key === "Esc") {
        if (isOpen()) {
          event.preventDefault(); // keep the text (a search field would clear it)
          close();
        }
      } else if (event.key === "Tab") {
        close();
      }
    });

    input.addEventListener("focus", function () {
      if (shownFor !== null && shownFor === input.value.trim()) {
        open();
      }
    });
    input.addEventListener("blur", close);

    // mousedown would move the focus away (and close the list) before the click.
    list.addEventListener("mousedown", function (event) {
      event.preventDefault();
    });
    list.addEventListener("click", function (event) {
      var option = event.target.closest ? event.target.closest("[role=option]") : null;
      if (option) {
        go(Number(option.getAttribute("data-index")));
      }
    });
    list.addEventListener("mousemove", function (event) {
      var option = event.target.closest ? event.target.closest("[role=option]") : null;
      var index = option ? Number(option.getAttribute("data-index")) : -1;
      if (index >= 0 && index !== active) {
        setActive(index);
      }
    });
  }

  document.querySelectorAll("input[data-suggest]").forEach(enhance);
})();
