// One stored article: metadata, status and its text with every event's sentence marked.

import { ApiError, getJSON, pageLink, path } from "../api.js";
import { h, markedText, outLink } from "../dom.js";
import { lastEventsUrl } from "./event.js";

export async function articleView(main, { arg, navigate, current }) {
  let article;
  try {
    article = await getJSON(path("api", "articles", arg));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      main.replaceChildren(h("p", { class: "error" }, `No article ${arg}.`));
      return;
    }
    throw error;
  }
  if (!current()) return;
  document.title = "Article – powderkeg";
  const spans = article.events.map((e) => ({ start: e.sentence_start, end: e.sentence_end, event: e }));
  const parts = markedText(article.text || "", spans, (part, span) =>
    h(
      "mark",
      {
        class: "event-span",
        title: `${span.event.type}${span.event.mode ? " · " + span.event.mode : ""} – open the event`,
        tabindex: "0",
        onclick: () => navigate(pageLink("events", span.event.event_id)),
        onkeydown: (e) => e.key === "Enter" && navigate(pageLink("events", span.event.event_id)),
      },
      part,
    ),
  );
  const meta = [
    ["Status", article.status + (article.reason ? ` – ${article.reason}` : "")],
    ["Published", article.published || "–"],
    ["Site", article.site || "–"],
    ["Author", article.author || "–"],
    ["Origin", article.origin],
    ["Events", String(article.events.length)],
    ["Article id", article.article_id],
  ];
  main.replaceChildren(
    h("p", { class: "crumbs" }, h("a", { href: lastEventsUrl() }, "← Events")),
    h(
      "section",
      { class: "panel article" },
      h("h1", { class: "article-title" }, article.title || "(untitled article)"),
      article.url ? h("p", { class: "meta" }, outLink(article.url, "original page") || article.url) : null,
      h("dl", { class: "facts" }, meta.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
      h("div", { class: "article-text" }, parts.length ? parts : h("span", { class: "note" }, "(no text)")),
    ),
  );
}
