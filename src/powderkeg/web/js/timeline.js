// A dyad's timeline: one bar per day or week from GET /api/dyads/{a}/{b}/series, conflict events
// (quad 3-4) below, cooperation (quad 1-2) above. Clicking a bar narrows the dates to it.

import { h } from "./dom.js";

const W = 560;
const H = 220;
const PAD = { left: 34, right: 8, top: 10, bottom: 26 };

/** rows: [{period, events, conflict, cooperation}]; onPick(period) when a bar is clicked. */
export function drawTimeline(container, rows, by, onPick) {
  if (!rows.length) {
    container.replaceChildren(h("p", { class: "note" }, "No actual events for this dyad in these dates."));
    return;
  }
  const max = Math.max(1, ...rows.map((r) => r.events));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const step = plotW / rows.length;
  const bar = Math.max(step * 0.8, 0.5);
  const y = (n) => PAD.top + plotH - (n / max) * plotH;

  const svg = h("svg:svg", { class: "timeline", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "Events per " + by });
  svg.append(
    h("svg:line", { class: "axis", x1: PAD.left, x2: W - PAD.right, y1: PAD.top + plotH, y2: PAD.top + plotH }),
    h("svg:text", { class: "tick", x: PAD.left - 4, y: PAD.top + 8, "text-anchor": "end" }, String(max)),
    h("svg:text", { class: "tick", x: PAD.left - 4, y: PAD.top + plotH, "text-anchor": "end" }, "0"),
    h("svg:text", { class: "tick", x: PAD.left, y: H - 6 }, rows[0].period),
    h("svg:text", { class: "tick", x: W - PAD.right, y: H - 6, "text-anchor": "end" }, rows[rows.length - 1].period),
  );
  rows.forEach((row, i) => {
    if (!row.events) return;
    const x = PAD.left + i * step + (step - bar) / 2;
    const conflict = row.conflict ?? 0;
    const cooperation = row.cooperation ?? 0;
    const other = Math.max(row.events - conflict - cooperation, 0);
    const group = h(
      "svg:g",
      { class: "bar", tabindex: "0", onclick: () => onPick(row.period), onkeydown: (e) => e.key === "Enter" && onPick(row.period) },
      h("svg:title", {}, `${by} of ${row.period}: ${row.events} event(s), ${conflict} conflict, ${cooperation} cooperation`),
    );
    let base = 0;
    for (const [n, cls] of [[conflict, "conflict"], [other, "other"], [cooperation, "cooperation"]]) {
      if (!n) continue;
      group.append(h("svg:rect", { class: cls, x: x.toFixed(2), width: bar.toFixed(2), y: y(base + n).toFixed(2), height: (y(base) - y(base + n)).toFixed(2) }));
      base += n;
    }
    svg.append(group);
  });
  const legend = h(
    "p",
    { class: "legend" },
    h("span", { class: "key conflict" }),
    " conflict (quad 3–4) ",
    h("span", { class: "key cooperation" }),
    " cooperation (quad 1–2) · one bar per ",
    by,
  );
  container.replaceChildren(svg, legend);
}
