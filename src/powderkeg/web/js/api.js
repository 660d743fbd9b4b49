// The HTTP API, from the same server (the Content-Security-Policy allows no other).

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

/**
 * The confidence threshold the page's address asks for (`?min_confidence=0` shows every event),
 * or null: the server's min_confidence setting applies.
 */
export function pageThreshold() {
  return new URLSearchParams(location.search).get("min_confidence") || null;
}

/** A link to one of the dashboard's pages that keeps the page's confidence threshold. */
export function pageLink(...parts) {
  const threshold = pageThreshold();
  return path(...parts) + (threshold === null ? "" : `?min_confidence=${encodeURIComponent(threshold)}`);
}

/**
 * GET a JSON document; params (an object or URLSearchParams) become the query string, with the
 * page's confidence threshold unless params set one.
 */
export async function getJSON(path, params) {
  const search = new URLSearchParams(params || {});
  const threshold = pageThreshold();
  if (threshold !== null && !search.has("min_confidence")) search.set("min_confidence", threshold);
  const query = search.toString();
  const response = await fetch(query ? `${path}?${query}` : path, { headers: { Accept: "application/json" } });
  if (!response.ok) {
    let detail = `${response.status} ${response.statusText}`;
    try {
      const body = await response.json();
      if (typeof body.detail === "string") detail = body.detail;
      else if (Array.isArray(body.detail)) detail = body.detail.map((d) => d.msg).join("; ");
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(response.status, detail);
  }
  return response.json();
}

let metaPromise = null;
let metaThreshold = null;

/** What the server stores and the filter vocabularies (fetched once per confidence threshold). */
export function meta() {
  if (metaThreshold !== pageThreshold()) {
    metaPromise = null;
    metaThreshold = pageThreshold();
  }
  metaPromise ??= getJSON("/api/meta").catch((error) => {
    metaPromise = null;
    throw error;
  });
  return metaPromise;
}

export const path = (...parts) => "/" + parts.map((p) => encodeURIComponent(p)).join("/");
