// The customer survey: a live total of the importance points, and a submit
// button that cannot send the form twice. The page works without this file.
(function () {
  "use strict";
  var form = document.getElementById("survey-form");
  if (!form) return;

  var inputs = form.querySelectorAll("input[data-importance]");
  var output = document.getElementById("importance-total");
  var line = document.getElementById("importance-total-line");

  function updateTotal() {
    var total = 0;
    inputs.forEach(function (input) {
      var value = parseInt(input.value, 10);
      if (!isNaN(value)) total += value;
    });
    output.textContent = String(total);
    // Red while the points are neither untouched (0) nor complete (100).
    line.classList.toggle("off", total !== 0 && total !== 100);
  }

  if (output && line) {
    inputs.forEach(function (input) { input.addEventListener("input", updateTotal); });
    updateTotal();
  }

  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    if (!button) return;
    // Disabled after this event, so that the form is still sent; the hidden
    // submission_id makes a resend harmless anyway.
    window.setTimeout(function () {
      button.disabled = true;
      if (button.dataset.sending) button.textContent = button.dataset.sending;
    }, 0);
  });
})();
