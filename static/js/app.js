// Behaviour shared by every page (no inline handlers: the Content Security
// Policy allows only nonced script files). The language menu switches on change.
(function () {
  "use strict";
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
