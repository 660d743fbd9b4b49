// One event: what was coded, and the sentence it came from, highlighted in its article's text.

import { ApiError, getJSON, pageLink, path } from "../api.js";
import { actorsLong, h, markedText, outLink } from "../dom.js";

export async function eventView(main, { arg, current }) {
  let detail;
  try {
    detail = await getJSON(path("api", "events", arg));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      main.replaceChildren(h("p", { class: "error" }, `No event ${arg}.`), h("p", {}, h("a", { href: "/" }, "All events")));
      return;
    }
    throw error;
  }
  const { event, article, mentions } = detail;
  let text = null;
  if (article) {
    try {
      text = (await getJSON(path("api", "articles", event.article_id))).text;
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
    }
  }
  if (!current()) return;
  document.title = `${event.type} ${event.date || ""} – powderkeg`;

  const flags = ["negated", "hypothetical", "historical"].filter((f) => event[f]);
  const loc = event.location;
  const facts = [
    ["Source", actorsLong(event.source)],
    ["Target", actorsLong(event.target)],
    ["Date", event.date ? `${event.date} (${event.date_precision || "?"})` : "–"],
    ["Where", loc ? [loc.name, loc.admin1, loc.country].filter(Boolean).join(", ") + (loc.precision ? ` (${loc.precision})` : "") : "–"],
    ["CAMEO", [event.cameo, event.quad != null ? `quad ${event.quad}` : null, event.goldstein != null ? `Goldstein ${event.goldstein}` : null].filter(Boolean).join(" · ") || "–"],
    ["PLOVER intensity", event.intensity ?? "–"],
    ["ACLED", [event.acled_type, event.acled_subtype].filter(Boolean).join(" / ") || "–"],
    ["Killed / injured", event.fatalities == null ? "–" : `${event.fatalities} / ${event.injuries ?? 0}`],
    ["Modality", [event.modality, ...flags].filter(Boolean).join(", ") || "asserted"],
    ["Trigger", event.trigger || "–"],
    ["Rule", event.rule || "–"],
    ["Confidence", event.confidence ?? "–"],
    ["Mentions / sources", `${event.mentions ?? 1} / ${event.sources ?? 1}`],
    ["Event id", event.event_id],
  ];
  const dl = h("dl", { class: "facts" }, facts.map(([k, v]) => [h("dt", {}, k), h("dd", {}, String(v))]));

  const articleBox = h("section", { class: "panel article", id: "article" });
  const titleText = article?.title || "(untitled article)";
  articleBox.append(
    h("h2", { class: "article-title" }, titleText),
    h(
      "p",
      { class: "meta" },
      [article?.site, article?.published].filter(Boolean).join(" · "),
      article?.url ? [" · ", outLink(article.url, "original page") || article.url] : null,
      " · ",
      h("a", { href: pageLink("articles", event.article_id) }, "article page"),
    ),
  );
  const span = { start: event.sentence_start, end: event.sentence_end };
  let body;
  if (text) {
    const parts = markedText(text, [span], (part) => h("mark", { id: "hit", class: "sentence-hit" }, part));
    const marked = parts.some((p) => p instanceof Node);
    body = marked ? parts : [h("mark", { id: "hit", class: "sentence-hit" }, event.sentence), "\n\n", text];
  } else {
    body = [h("mark", { id: "hit", class: "sentence-hit" }, event.sentence)];
  }
  articleBox.append(h("div", { class: "article-text" }, body));

  const mentionList = h(
    "ul",
    { class: "mentions" },
    mentions.map((m) =>
      h(
        "li",
        {},
        h("a", { href: m.event_id === event.event_id ? pageLink("articles", m.article_id) : pageLink("events", m.event_id) }, m.title || m.article_id),
        m.published ? ` (${m.published})` : "",
        m.sentence ? [": ", h("q", {}, m.sentence)] : null,
      ),
    ),
  );

  main.replaceChildren(
    h("p", { class: "crumbs" }, h("a", { href: lastEventsUrl() }, "← Events")),
    h(
      "section",
      { class: "panel event-head" },
      h("h1", {}, `${event.type}${event.mode ? " · " + event.mode : ""}`, flags.length ? h("span", { class: "flag" }, ` (${flags.join(", ")})`) : null),
      h("p", { class: "event-sentence" }, h("q", {}, event.sentence)),
      dl,
      h("h3", {}, "Reported in"),
      mentionList,
    ),
    articleBox,
  );
  // the article text scrolls in its own box: bring the sentence into it, keep the page at the top
  document.getElementById("hit")?.scrollIntoView({ block: "center" });
  window.scrollTo(0, 0);
}

/** The filtered event list this tab showed last (see views/events.js), else all events. */
export function lastEventsUrl() {
  const url = sessionStorage.getItem("powderkeg.events");
  return url && (url === "/" || url.startsWith("/?")) ? url : "/";
}
