// modelreg web UI: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function copyText(text, done) {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text, done); });
    } else {
      fallbackCopy(text, done);
    }
  }

  function fallbackCopy(text, done) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selectable */ }
    document.body.removeChild(area);
  }

  // A "Copy" button on every block marked data-copy (pull commands, API hints).
  document.querySelectorAll("[data-copy]").forEach(function (block) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = "Copy";
    button.addEventListener("click", function () {
      copyText(block.textContent, function () {
        button.textContent = "Copied";
        window.setTimeout(function () { button.textContent = "Copy"; }, 1500);
      });
    });
    var wrap = document.createElement("div");
    wrap.className = "copy-wrap";
    block.parentNode.insertBefore(wrap, block);
    wrap.appendChild(block);
    wrap.appendChild(button);
  });

  // Digests copy their full value on click.
  document.querySelectorAll("[data-copy-value]").forEach(function (element) {
    element.classList.add("copyable");
    element.addEventListener("click", function () {
      copyText(element.getAttribute("data-copy-value"), function () {
        element.classList.add("copied");
        window.setTimeout(function () { element.classList.remove("copied"); }, 1200);
      });
    });
  });

  // Menus and check boxes that apply at once; their submit buttons are hidden by CSS.
  document.querySelectorAll("[data-autosubmit]").forEach(function (element) {
    element.addEventListener("change", function () { element.form.submit(); });
  });

  // The compare picker: count the ticked versions, enable the button for 2-10 of them.
  document.querySelectorAll("form[data-compare]").forEach(function (form) {
    var boxes = form.querySelectorAll("input[type=checkbox][name=v]");
    var button = form.querySelector("button[type=submit]");
    var count = form.querySelector("[data-count]");
    function update() {
      var n = 0;
      boxes.forEach(function (box) { if (box.checked) { n += 1; } });
      button.disabled = n < 2 || n > 10;
      if (count) {
        count.textContent = n === 0 ? "Tick 2–10 versions" : n + " selected" + (n > 10 ? " (at most 10)" : "");
      }
    }
    boxes.forEach(function (box) { box.addEventListener("change", update); });
    update();
  });

  // Ask before destructive actions.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
