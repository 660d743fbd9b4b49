// Stored escalation alerts (GET /api/alerts), newest window first, each with its top events.

import { ApiError, getJSON, pageLink } from "../api.js";
import { h, truncate } from "../dom.js";

export async function alertsView(main, { params, current }) {
  const query = { limit: "200" };
  for (const name of ["since", "rule"]) if (params.get(name)) query[name] = params.get(name);
  let data;
  try {
    data = await getJSON("/api/alerts", query);
  } catch (error) {
    if (error instanceof ApiError && error.status === 503) {
      main.replaceChildren(h("p", { class: "error" }, error.message));
      return;
    }
    throw error;
  }
  if (!current()) return;
  document.title = "Alerts – powderkeg";
  const alerts = data.alerts;
  if (!alerts.length) {
    main.replaceChildren(
      h("section", { class: "panel" }, h("h1", {}, "Alerts"), h("p", { class: "note" }, "No alerts are stored. Alerts appear here once the escalation rules have been evaluated over the database.")),
    );
    return;
  }
  const rows = alerts.map((a) => {
    const measure = Array.isArray(a.measure) ? a.measure.join("+") : a.measure;
    const events = h(
      "ul",
      { class: "alert-events" },
      (a.events || []).map((e) =>
        h("li", {}, h("a", { href: pageLink("events", e.event_id) }, `${e.day || e.date || ""} ${e.type || ""}`), ": ", truncate(e.sentence, 200)),
      ),
    );
    return h(
      "tr",
      { "data-alert": a.alert_id },
      h("td", {}, a.window_start === a.window_end ? a.window_end : `${a.window_start} – ${a.window_end}`),
      h("td", {}, a.dyad, a.directed ? " (directed)" : ""),
      h("td", {}, a.rule),
      h("td", {}, measure),
      h("td", { class: "num" }, `${a.observed} vs ${a.expected}`),
      h("td", { class: "num" }, a.ratio == null ? "–" : `×${a.ratio}`),
      h("td", { class: "num" }, String(a.score)),
      h("td", {}, (a.events || []).length ? h("details", {}, h("summary", {}, `${a.events.length} event(s)`), events) : "–"),
    );
  });
  main.replaceChildren(
    h(
      "section",
      { class: "panel" },
      h("h1", {}, `Alerts (${alerts.length})`),
      h(
        "table",
        { class: "alerts" },
        h("thead", {}, h("tr", {}, ["Window", "Dyad", "Rule", "Measure", "Observed vs expected", "Ratio", "Score", "Events"].map((c) => h("th", {}, c)))),
        h("tbody", {}, rows),
      ),
    ),
  );
}
