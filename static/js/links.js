// Survey links page: select a link on focus, copy it with one click, and ask
// before a link is withdrawn or replaced. The page works without this file.
(function () {
  "use strict";

  document.querySelectorAll("input.copy-link").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = document.getElementById(button.dataset.copy);
      if (!input) return;
      var label = button.textContent;
      function done() {
        button.textContent = button.dataset.copied || label;
        window.setTimeout(function () { button.textContent = label; }, 1500);
      }
      input.focus();
      input.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
      } else {
        document.execCommand("copy");
        done();
      }
    });
  });

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
})();
