// Building the page safely. Everything the API returns is untrusted (article titles and texts
// come from the web): it enters the page only as text nodes or as attribute values through
// setAttribute, never as HTML. Links to elsewhere are kept only for http(s) URLs.

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * h("a", {href: "/x", class: "k"}, "text", child) -> an element. A tag "svg:circle" makes an
 * SVG element. Attribute values are set with setAttribute; an "on..." key takes a function only.
 * Children may be nodes, strings or numbers (as text), arrays of them, or null (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = tag.startsWith("svg:") ? document.createElementNS(SVG_NS, tag.slice(4)) : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) {
      if (typeof value === "function") el.addEventListener(key.slice(2), value);
      continue;
    }
    if (key === "href") {
      const href = safeHref(value);
      if (href) el.setAttribute("href", href);
      continue;
    }
    el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** A path on this server ("/events/...") as it is, an http(s) URL normalised, anything else null. */
export function safeHref(value) {
  const text = String(value);
  if (text.startsWith("/") && !text.startsWith("//")) return text;
  return externalUrl(text);
}

/** An http(s) URL from the data, or null (javascript:, data:, relative and unparsable ones). */
export function externalUrl(value) {
  if (typeof value !== "string" || !value) return null;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

/** A link out to a source page: no referrer, no opener, never followed by crawlers. */
export function outLink(url, label) {
  const href = externalUrl(url);
  if (!href) return null;
  return h("a", { href, rel: "noopener noreferrer nofollow", target: "_blank" }, label || href);
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

/**
 * The text with some spans marked: spans are {start, end, ...} in Unicode code points (Python's
 * string offsets), and make(part, span) gives the element for a marked part. Overlapping spans
 * after the first are left unmarked.
 */
export function markedText(text, spans, make) {
  const points = Array.from(text);
  const sorted = [...spans]
    .filter((s) => Number.isInteger(s.start) && Number.isInteger(s.end) && s.start < s.end && s.end <= points.length)
    .sort((a, b) => a.start - b.start || b.end - a.end);
  const out = [];
  let at = 0;
  for (const span of sorted) {
    if (span.start < at) continue;
    if (span.start > at) out.push(points.slice(at, span.start).join(""));
    out.push(make(points.slice(span.start, span.end).join(""), span));
    at = span.end;
  }
  if (at < points.length) out.push(points.slice(at).join(""));
  return out;
}

export function formatActors(actors) {
  if (!actors || !actors.length) return ["–"];
  const out = [];
  actors.forEach((actor, i) => {
    if (i) out.push(", ");
    const code = actor.code || actor.country || "?";
    out.push(h("span", { class: "actor", title: actor.text || "" }, code));
  });
  return out;
}

export function actorsLong(actors) {
  if (!actors || !actors.length) return "–";
  return actors
    .map((a) => `${a.code || a.country || "?"} (${a.text || ""}${a.org ? ", " + a.org : ""}${a.ethnicity ? ", " + a.ethnicity : ""})`)
    .join("; ");
}

export function truncate(text, n) {
  const s = String(text ?? "");
  return s.length > n ? s.slice(0, n - 1) + "…" : s;
}
