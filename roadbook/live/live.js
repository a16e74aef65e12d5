// The roadbook page's live part (roadbook/live/router.py): follows /r/{token}/events and shows a
// welcome card in <div id="live" aria-live="polite"> each time the visitor enters a site.
// Text only (textContent): nothing the server sends is ever parsed as HTML. EventSource
// reconnects by itself and sends the last event id back, so the server resends what was missed.
(function () {
  "use strict";
  var box = document.getElementById("live");
  if (!box || typeof EventSource === "undefined") {
    return;
  }
  // The page's own events URL: data-events when the page gives it, else /r/{token}/events.
  var url = box.getAttribute("data-events");
  if (!url) {
    var match = /^\/r\/[^/]+/.exec(location.pathname);
    if (!match) {
      return;
    }
    url = match[0] + "/events";
  }
  var KEEP = 3; // cards kept on the page, newest first
  var shown = {}; // event ids already shown (a resend after a reconnect is not shown twice)
  var lang = document.documentElement.lang || undefined;

  function time(welcome) {
    var node = document.createElement("time");
    node.dateTime = welcome.at;
    // the destination's clock, as the page's other times (else the device's)
    node.textContent =
      welcome.time ||
      new Date(welcome.at).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
    return node;
  }

  function card(id, welcome) {
    var item = document.createElement("article");
    item.className = "card live-welcome";
    item.setAttribute("data-site", welcome.site.slug);
    item.setAttribute("data-event-id", id);
    var title = document.createElement("h2");
    title.textContent = welcome.message;
    var when = document.createElement("p");
    when.className = "live-when";
    when.appendChild(time(welcome));
    item.appendChild(title);
    item.appendChild(when);
    return item;
  }

  var last = null; // the last event id: where a new EventSource resumes (?after=)
  var wait = 30000; // before a new EventSource, once the browser gave up; doubles to 10 min

  function connect() {
    var source = new EventSource(last ? url + "?after=" + encodeURIComponent(last) : url);
    box.setAttribute("data-live", "connecting");
    source.addEventListener("ready", function (event) {
      last = event.lastEventId || last;
      wait = 30000;
      box.setAttribute("data-live", "open");
    });
    source.addEventListener("welcome", function (event) {
      last = event.lastEventId;
      if (shown[event.lastEventId]) {
        return;
      }
      var welcome;
      try {
        welcome = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      shown[event.lastEventId] = true;
      box.insertBefore(card(event.lastEventId, welcome), box.firstChild);
      while (box.children.length > KEEP) {
        box.removeChild(box.lastChild);
      }
    });
    source.addEventListener("error", function () {
      if (source.readyState !== EventSource.CLOSED) {
        box.setAttribute("data-live", "connecting"); // the browser retries (retry: hint)
        return;
      }
      // The browser gave up (an answer other than the stream: a 503 while the database
      // restarts, or a 404 once the roadbook is erased): ask again later, less and less often.
      box.setAttribute("data-live", "closed");
      setTimeout(connect, wait);
      wait = Math.min(wait * 2, 600000);
    });
  }

  connect();
})();
