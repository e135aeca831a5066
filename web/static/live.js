/* Live changes on the status page: changes learned after the page was rendered arrive from
   /api/stream (Server-Sent Events) and are announced above the table, newest first, with a reload link.
   Without JavaScript or EventSource the page is complete as it is; a reload shows everything.
   The browser reconnects by itself when a stream ends, sending the last position it saw. */
(function () {
  "use strict";
  var box = document.getElementById("live-changes");
  if (!box || typeof window.EventSource !== "function") {
    return;
  }
  var count = box.querySelector(".live-count");
  var list = box.querySelector(".live-list");
  var seen = {};
  var n = 0;

  function announce() {
    var reload = document.createElement("a");
    reload.href = window.location.pathname + window.location.search;
    reload.textContent = "reload";
    count.textContent = n + (n === 1 ? " new change" : " new changes") + " \u2014 ";
    count.appendChild(reload);
    box.classList.add("has-news");
  }

  function show(change) {
    var item = document.createElement("li");
    var link = document.createElement("a");
    link.href = "/alliances/" + encodeURIComponent(change.alliance_id);
    link.textContent = change.title;
    item.appendChild(link);
    list.insertBefore(item, list.firstChild);
    list.hidden = false;
  }

  var source = new EventSource(box.getAttribute("data-stream"));
  source.addEventListener("change", function (event) {
    var change;
    try {
      change = JSON.parse(event.data);
    } catch (e) {
      return;
    }
    if (seen[change.id]) {
      return;
    }
    seen[change.id] = true;
    n += 1;
    show(change);
    announce();
  });
})();
