// The dashboard: one page, four views, the filters in the URL (so a view can be shared).
//   /                 map, dyad timeline and event table for the filters in the query string
//   /events/{id}      one event and its sentence highlighted in its article
//   /articles/{id}    one article with its events marked
//   /alerts           stored escalation alerts

import { eventsView } from "./views/events.js";
import { eventView } from "./views/event.js";
import { articleView } from "./views/article.js";
import { alertsView } from "./views/alerts.js";

const routes = [
  [/^\/$/, eventsView, "events"],
  [/^\/events\/([^/]+)$/, eventView, "events"],
  [/^\/articles\/([^/]+)$/, articleView, "events"],
  [/^\/alerts$/, alertsView, "alerts"],
];

const main = document.getElementById("main");
const status = document.getElementById("status");
let generation = 0;

/** Views call this with their state; a render superseded by a newer one is discarded. */
export function setStatus(text) {
  status.textContent = text || "";
}

export function navigate(url) {
  history.pushState(null, "", url);
  render();
}

async function render() {
  const mine = ++generation;
  const current = () => mine === generation;
  const path = location.pathname;
  for (const [pattern, view, section] of routes) {
    const match = pattern.exec(path);
    if (!match) continue;
    for (const link of document.querySelectorAll("nav a[data-section]")) {
      link.classList.toggle("active", link.dataset.section === section);
    }
    const arg = match[1] === undefined ? undefined : decodeURIComponent(match[1]);
    setStatus("Loading…");
    document.body.dataset.ready = "false";
    try {
      await view(main, { arg, params: new URLSearchParams(location.search), navigate, current });
      if (current()) setStatus("");
    } catch (error) {
      if (!current()) return;
      setStatus("");
      const box = document.createElement("p");
      box.className = "error";
      box.textContent = `Could not load this view: ${error.message}`;
      main.replaceChildren(box);
    } finally {
      if (current()) document.body.dataset.ready = "true";
    }
    return;
  }
  const box = document.createElement("p");
  box.className = "error";
  box.textContent = "No such page.";
  main.replaceChildren(box);
  document.body.dataset.ready = "true";
}

// Links to this server's pages are followed without a reload.
document.addEventListener("click", (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target.closest?.("a[href]");
  if (!link || link.target || link.hasAttribute("data-external") || link.origin !== location.origin) return;
  if (link.pathname.startsWith("/api/") || link.pathname.startsWith("/static/")) return;
  event.preventDefault();
  navigate(link.pathname + link.search + link.hash);
});
window.addEventListener("popstate", render);
render();
