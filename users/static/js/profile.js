// Optional: filters the "Stims you do now" checkboxes as you type. Without JavaScript the
// search box reloads the page with ?stim_search= and the server narrows the list instead.
// Ticked stims always stay visible, so they are never sent away unseen.
(function () {
  "use strict";
  var input = document.querySelector("[data-stim-filter]");
  if (!input) {
    return;
  }
  var searchForm = document.getElementById(input.getAttribute("form"));
  var status = document.querySelector("[data-stim-filter-status]");
  var groups = Array.prototype.slice.call(document.querySelectorAll(".stim-group"));
  var wholeListShown = input.value === "";
  groups.forEach(function (group) {
    group.dataset.openedByServer = group.open ? "yes" : "no";
  });

  function filter() {
    var query = input.value.trim().toLowerCase();
    var shown = 0;
    groups.forEach(function (group) {
      var visibleInGroup = 0;
      group.querySelectorAll("[data-stim-name]").forEach(function (item) {
        var ticked = item.querySelector("input").checked;
        var visible = query === "" || ticked || item.dataset.stimName.indexOf(query) !== -1;
        item.hidden = !visible;
        visibleInGroup += visible ? 1 : 0;
      });
      group.hidden = visibleInGroup === 0;
      group.open = query === "" ? group.dataset.openedByServer === "yes" : visibleInGroup > 0;
      shown += visibleInGroup;
    });
    if (status) {
      status.textContent = query === "" ? "" : shown + (shown === 1 ? " stim" : " stims") + " shown.";
    }
  }

  input.addEventListener("input", filter);
  if (searchForm && wholeListShown) {
    // The list is already filtered in place: no reload, so unsaved answers are kept.
    searchForm.addEventListener("submit", function (event) {
      event.preventDefault();
      filter();
    });
  }
})();
