// The main view: filters (mirrored in the URL), the map, the dyad timeline and the event table.

import { getJSON, meta, pageLink } from "../api.js";
import { formatActors, h, truncate } from "../dom.js";
import { drawMap } from "../map.js";
import { drawTimeline } from "../timeline.js";

export const FILTERS = ["dyad", "actor", "country", "type", "acled_type", "since", "until", "bbox", "q", "all", "min_confidence"];
const PAGE = 50;

export async function eventsView(main, { params, navigate, current }) {
  const info = await meta();
  if (!current()) return;
  const filters = new URLSearchParams();
  for (const name of FILTERS) for (const value of params.getAll(name)) if (value) filters.append(name, value);
  const offset = Math.max(0, parseInt(params.get("offset") || "0", 10) || 0);
  sessionStorage.setItem("powderkeg.events", location.pathname + location.search);
  document.title = (filters.get("dyad") ? `${filters.get("dyad")} – ` : "") + "powderkeg";

  const go = (changes) => {
    const next = new URLSearchParams(filters);
    for (const [key, value] of Object.entries(changes)) {
      next.delete(key);
      if (value !== null && value !== undefined && value !== "") next.set(key, value);
    }
    if (!("offset" in changes)) next.delete("offset");
    const query = next.toString();
    navigate(query ? `/?${query}` : "/");
  };

  const form = filterForm(info, filters, (values) => {
    const query = new URLSearchParams(values).toString();
    navigate(query ? `/?${query}` : "/");
  });
  const mapBox = h("div", { class: "map-box" }, h("p", { class: "note" }, "Loading the map…"));
  const mapNote = h("p", { class: "note" });
  const timelineBox = h("div", { class: "timeline-box" });
  const tableBox = h("div", { class: "table-box" }, h("p", { class: "note" }, "Loading events…"));
  const dyad = filters.get("dyad");
  main.replaceChildren(
    form,
    h(
      "div",
      { class: "grid" },
      h("section", { class: "panel", id: "map-panel" }, h("h2", {}, "Where"), mapBox, mapNote),
      h(
        "section",
        { class: "panel", id: "timeline-panel" },
        h("h2", {}, dyad ? `Timeline ${dyad.replace(",", " – ")}` : "Timeline"),
        timelineBox,
      ),
    ),
    h("section", { class: "panel", id: "table-panel" }, h("h2", {}, "Events"), tableBox),
  );

  const page = getJSON("/api/events", withParams(filters, { limit: PAGE, offset }));
  const points = getJSON("/api/events/points", filters);
  const tasks = [
    page.then((data) => current() && drawTable(tableBox, data, offset, go, navigate)),
    points.then(async (data) => {
      if (!current()) return;
      const bbox = filters.get("bbox")?.split(",").map(Number);
      await drawMap(mapBox, data.points, {
        bbox: bbox && bbox.length === 4 && bbox.every(Number.isFinite) ? bbox : null,
        onPick: (id) => navigate(pageLink("events", id)),
        onFilter: (box) => go({ bbox: box.join(",") }),
      });
      mapNote.textContent = data.truncated
        ? `The newest ${data.points.length} of ${data.total} located events.`
        : `${data.total} located event(s).`;
    }),
    dyad ? timeline(timelineBox, dyad, filters, info, go, current) : Promise.resolve(noDyad(timelineBox)),
  ];
  const results = await Promise.allSettled(tasks);
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
}

function withParams(base, extra) {
  const out = new URLSearchParams(base);
  for (const [key, value] of Object.entries(extra)) out.set(key, value);
  return out;
}

function noDyad(box) {
  box.replaceChildren(h("p", { class: "note" }, "Give a dyad (two countries, e.g. SRB,XKX) to see its events over time."));
}

/** Days between two ISO dates (null when either is missing). */
function spanDays(first, last) {
  if (!first || !last) return null;
  return (Date.parse(last) - Date.parse(first)) / 86400000;
}

async function timeline(box, dyad, filters, info, go, current) {
  const [a, b] = dyad.split(",").map((s) => s.trim());
  if (!a || !b) {
    noDyad(box);
    return;
  }
  const range = {};
  if (filters.get("since")) range.since = filters.get("since");
  if (filters.get("until")) range.until = filters.get("until");
  // one bar a day for up to a year, else one a week: the dates asked for, else what is stored
  const span = spanDays(range.since || info.first_date, range.until || info.last_date);
  const by = span !== null && span <= 370 ? "day" : "week";
  const url = `/api/dyads/${encodeURIComponent(a)}/${encodeURIComponent(b)}/series`;
  let series;
  try {
    series = await getJSON(url, { ...range, by });
  } catch (error) {
    if (current()) box.replaceChildren(h("p", { class: "error" }, `No timeline: ${error.message}`));
    return;
  }
  if (!current()) return;
  drawTimeline(box, series.rows, by, (period) => {
    const start = new Date(period + "T00:00:00Z");
    const end = new Date(start.getTime() + (by === "week" ? 6 : 0) * 86400000);
    go({ since: period, until: end.toISOString().slice(0, 10) });
  });
}

function filterForm(info, filters, submit) {
  const field = (name, label, input) => h("label", { class: `field f-${name}` }, h("span", {}, label), input);
  const text = (name, placeholder, extra = {}) =>
    h("input", { name, type: "text", value: filters.get(name) || "", placeholder, autocomplete: "off", ...extra });
  const select = (name, options) => {
    const el = h("select", { name }, h("option", { value: "" }, "any"));
    for (const option of options) el.append(h("option", { value: option }, option));
    el.value = filters.get(name) || "";
    return el;
  };
  const types = h("datalist", { id: "plover-types" }, info.plover_types.map((t) => h("option", { value: t })));
  const all = h("input", { name: "all", type: "checkbox", value: "true" });
  all.checked = filters.get("all") === "true";
  const form = h(
    "form",
    { class: "filters", role: "search", autocomplete: "off" },
    field("dyad", "Dyad", text("dyad", "SRB,XKX", { maxlength: 20 })),
    field("actor", "Actor", text("actor", "SRBMIL, KFOR", { maxlength: 40 })),
    field("country", "Country (either side)", text("country", "XKX", { maxlength: 3 })),
    field("type", "PLOVER type", text("type", "ASSAULT,COERCE", { list: "plover-types" })),
    types,
    field("acled_type", "ACLED type", select("acled_type", info.acled_types)),
    field("since", "Since", h("input", { name: "since", type: "date", value: filters.get("since") || "" })),
    field("until", "Until", h("input", { name: "until", type: "date", value: filters.get("until") || "" })),
    field("q", "Text", text("q", "words in the sentence", { type: "search", maxlength: 200 })),
    field("bbox", "Box (W,S,E,N)", text("bbox", "18,41,23,44", { maxlength: 100 })),
    field(
      "min_confidence",
      "Min. confidence",
      h("input", { name: "min_confidence", type: "number", min: "0", max: "1", step: "any", value: filters.get("min_confidence") || "", placeholder: `${info.min_confidence} (0: all)` }),
    ),
    h("label", { class: "field check" }, all, h("span", {}, "also negated, hypothetical, historical")),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit" }, "Apply"),
      h("a", { href: "/", class: "button secondary" }, "Clear"),
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = [];
    for (const [name, value] of new FormData(form)) {
      const v = String(value).trim();
      if (v) values.push([name, v]);
    }
    submit(values);
  });
  return form;
}

function drawTable(box, data, offset, go, navigate) {
  const { total, events } = data;
  if (!events.length) {
    box.replaceChildren(h("p", { class: "note", id: "event-count" }, total ? "No events on this page." : "No events match."));
    return;
  }
  const rows = events.map((e) => {
    const url = pageLink("events", e.event_id);
    const flags = ["negated", "hypothetical", "historical"].filter((f) => e[f]);
    return h(
      "tr",
      {
        "data-event": e.event_id,
        onclick: (event) => {
          if (!event.target.closest("a") && !window.getSelection()?.toString()) navigate(url);
        },
      },
      h("td", { class: "date" }, e.date || "–"),
      h(
        "td",
        { class: "type" },
        h("a", { href: url, class: "event-link" }, e.type),
        e.mode ? h("span", { class: "mode" }, " " + e.mode) : null,
        flags.length ? h("span", { class: "flag" }, " " + flags.join(", ")) : null,
      ),
      h("td", { class: "source" }, formatActors(e.source)),
      h("td", { class: "target" }, formatActors(e.target)),
      h("td", { class: "where" }, e.location?.name || ""),
      h("td", { class: "sentence", title: e.sentence }, truncate(e.sentence, 160)),
    );
  });
  const last = offset + events.length;
  const pager = h(
    "div",
    { class: "pager" },
    h("span", { id: "event-count" }, `${offset + 1}–${last} of ${total}`),
    offset > 0 ? h("button", { type: "button", onclick: () => go({ offset: Math.max(0, offset - PAGE) || null }) }, "Newer") : null,
    last < total ? h("button", { type: "button", onclick: () => go({ offset: last }) }, "Older") : null,
  );
  const table = h(
    "table",
    { class: "events" },
    h("thead", {}, h("tr", {}, ["Date", "Type", "Source", "Target", "Where", "Sentence"].map((c) => h("th", {}, c)))),
    h("tbody", {}, rows),
  );
  box.replaceChildren(pager, table);
}
