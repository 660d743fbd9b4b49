// The HTTP API, from the same server (the Content-Security-Policy allows no other).

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

/** GET a JSON document; params (an object or URLSearchParams) become the query string. */
export async function getJSON(path, params) {
  const query = params ? new URLSearchParams(params).toString() : "";
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

/** What the server stores and the filter vocabularies (fetched once). */
export function meta() {
  metaPromise ??= getJSON("/api/meta").catch((error) => {
    metaPromise = null;
    throw error;
  });
  return metaPromise;
}

export const path = (...parts) => "/" + parts.map((p) => encodeURIComponent(p)).join("/");
