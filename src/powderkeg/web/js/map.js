// The event map: Natural Earth country boundaries (vendored world-atlas TopoJSON) drawn as SVG in
// an equirectangular projection (x = longitude, y = -latitude), events as dots. Wheel or the
// buttons zoom, dragging pans; the current view can become the bbox filter.

import { h } from "./dom.js";

const WORLD = { x: -180, y: -84, w: 360, h: 148 };
const MIN_WIDTH = 2; // degrees: the closest zoom
let featuresPromise = null;

/** Country outlines as SVG path data, loaded once. */
export function countryPaths() {
  featuresPromise ??= fetch("/static/vendor/countries-110m.json")
    .then((r) => {
      if (!r.ok) throw new Error(`map data: ${r.status}`);
      return r.json();
    })
    .then((topo) => {
      // topojson-client is a classic script that defines window.topojson (vendor/LICENSES.md)
      const collection = window.topojson.feature(topo, topo.objects.countries);
      return collection.features.map((f) => ({ name: f.properties?.name ?? "", d: pathData(f.geometry) }));
    });
  return featuresPromise;
}

function pathData(geometry) {
  if (!geometry) return "";
  const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.type === "MultiPolygon" ? geometry.coordinates : [];
  const parts = [];
  for (const polygon of polygons) {
    for (const ring of polygon) {
      if (!ring.length) continue;
      parts.push("M" + ring.map(([lon, lat]) => `${lon.toFixed(2)},${(-lat).toFixed(2)}`).join("L") + "Z");
    }
  }
  return parts.join("");
}

function fitView(west, south, east, north, aspect, minWidth = MIN_WIDTH) {
  let w = Math.max(east - west, minWidth);
  let hgt = Math.max(north - south, minWidth / aspect);
  const cx = (west + east) / 2;
  const cy = -(south + north) / 2;
  if (w / hgt < aspect) w = hgt * aspect;
  else hgt = w / aspect;
  return clampView({ x: cx - w / 2, y: cy - hgt / 2, w, h: hgt });
}

function clampView(v) {
  const w = Math.min(Math.max(v.w, MIN_WIDTH), WORLD.w);
  const hgt = (v.h / v.w) * w;
  const x = Math.min(Math.max(v.x, -180), 180 - w);
  const y = Math.min(Math.max(v.y, -90), Math.max(90 - hgt, -90));
  return { x, y, w, h: hgt };
}

/**
 * Draws the map into `container`. points: [{event_id, lat, lon, type, quad, date, location_name}];
 * bbox: [west, south, east, north] to start from (else the points' extent); onPick(event_id) on a
 * dot's click; onFilter([w, s, e, n]) when "filter to this view" is asked.
 */
export async function drawMap(container, points, { bbox, onPick, onFilter }) {
  const countries = await countryPaths();
  const aspect = WORLD.w / WORLD.h;
  let view;
  if (bbox) view = fitView(bbox[0], bbox[1], bbox[2], bbox[3], aspect);
  else if (points.length) {
    const lons = points.map((p) => p.lon);
    const lats = points.map((p) => p.lat);
    const pad = 2;
    const [west, east] = [Math.min(...lons) - pad, Math.max(...lons) + pad];
    const [south, north] = [Math.min(...lats) - pad, Math.max(...lats) + pad];
    view = fitView(west, south, east, north, aspect, 12);
  } else view = { ...WORLD };

  const svg = h("svg:svg", { class: "map", role: "img", "aria-label": "Map of the events", preserveAspectRatio: "xMidYMid meet" });
  const land = h("svg:g", { class: "countries" });
  for (const c of countries) land.append(h("svg:path", { d: c.d }, h("svg:title", {}, c.name)));
  const dots = h("svg:g", { class: "dots" });
  for (const p of points) {
    const dot = h(
      "svg:circle",
      {
        cx: p.lon.toFixed(4),
        cy: (-p.lat).toFixed(4),
        class: `dot q${p.quad ?? 0}`,
        tabindex: "0",
        "data-event": p.event_id,
        onclick: () => onPick(p.event_id),
        onkeydown: (e) => {
          if (e.key === "Enter") onPick(p.event_id);
        },
      },
      h("svg:title", {}, `${p.date ?? "undated"} ${p.type}${p.location_name ? " – " + p.location_name : ""}`),
    );
    dots.append(dot);
  }
  svg.append(h("svg:rect", { class: "sea", x: -180, y: -90, width: 360, height: 180 }), land, dots);

  const apply = () => {
    view = clampView(view);
    svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`);
    const r = (view.w / 360) * 2.2;
    for (const dot of dots.children) dot.setAttribute("r", r.toFixed(4));
  };
  const zoom = (factor, cx = view.x + view.w / 2, cy = view.y + view.h / 2) => {
    const w = Math.min(Math.max(view.w * factor, MIN_WIDTH), WORLD.w);
    const k = w / view.w;
    view = { x: cx - (cx - view.x) * k, y: cy - (cy - view.y) * k, w, h: view.h * k };
    apply();
  };
  const toMap = (event) => {
    const box = svg.getBoundingClientRect();
    const scale = Math.max(view.w / box.width, view.h / box.height);
    const offX = (box.width - view.w / scale) / 2;
    const offY = (box.height - view.h / scale) / 2;
    return [view.x + (event.clientX - box.left - offX) * scale, view.y + (event.clientY - box.top - offY) * scale, scale];
  };
  svg.addEventListener(
    "wheel",
    (event) => {
      event.preventDefault();
      const [x, y] = toMap(event);
      zoom(event.deltaY > 0 ? 1.25 : 0.8, x, y);
    },
    { passive: false },
  );
  let drag = null;
  svg.addEventListener("pointerdown", (event) => {
    if (event.target.classList?.contains("dot")) return;
    drag = { x: event.clientX, y: event.clientY, view: { ...view }, scale: toMap(event)[2] };
    svg.setPointerCapture(event.pointerId);
  });
  svg.addEventListener("pointermove", (event) => {
    if (!drag) return;
    view = { ...drag.view, x: drag.view.x - (event.clientX - drag.x) * drag.scale, y: drag.view.y - (event.clientY - drag.y) * drag.scale };
    apply();
  });
  svg.addEventListener("pointerup", () => (drag = null));
  apply();

  const tools = h(
    "div",
    { class: "map-tools" },
    h("button", { type: "button", title: "Zoom in", onclick: () => zoom(0.6) }, "+"),
    h("button", { type: "button", title: "Zoom out", onclick: () => zoom(1 / 0.6) }, "−"),
    h("button", { type: "button", title: "Whole world", onclick: () => ((view = { ...WORLD }), apply()) }, "World"),
    h(
      "button",
      {
        type: "button",
        class: "filter-view",
        onclick: () => {
          const west = Math.max(view.x, -180);
          const east = Math.min(view.x + view.w, 180);
          const north = Math.min(-view.y, 90);
          const south = Math.max(-(view.y + view.h), -90);
          onFilter([west, south, east, north].map((v) => Math.round(v * 100) / 100));
        },
      },
      "Filter to this view",
    ),
  );
  container.replaceChildren(svg, tools);
}
