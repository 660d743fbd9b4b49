"""A small fictional database for the API and dashboard tests, and a real server to query it.

The articles are made up for these tests (places are real, events are not). Events are built as
the coder would give them and stored with ``Store.save``, so the API reads exactly what the
pipeline writes, without loading spaCy.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from powderkeg.model import Actor, Article, Event, Place, content_id
from powderkeg.store import SentenceSpan, open_store

XSS_TITLE = '<script>window.__pwned = "title"</script>Breaking: <img src=x onerror="window.__pwned=\'img\'">'
XSS_SENTENCE = (
    'Serbian officials protested to Pristina about a leaflet reading <img src=x onerror="window.__pwned=1"> '
    "and <script>window.__pwned=2</script> on Tuesday."
)

JARINJE = Place("Jarinje", "XKX", None, 43.146, 20.768, "point", None)
PRISTINA = Place("Pristina", "XKX", None, 42.667, 21.166, "city", None)
ZVECAN = Place("Zvečan", "XKX", None, 42.908, 20.840, "city", None)
BELGRADE = Place("Belgrade", "SRB", None, 44.804, 20.465, "city", None)
GAO = Place("Gao", "MLI", None, 16.272, -0.044, "city", None)
KHARKIV = Place("Kharkiv", "UKR", None, 49.994, 36.230, "city", None)
SUVA = Place("Suva", "FJI", None, -18.141, 178.442, "city", None)


def actor(code: str, text: str, org: str | None = None, ethnicity: str | None = None) -> Actor:
    country = code[:3]
    return Actor(text, code, country, code[3:6] or None, org, ethnicity)


@dataclass
class Spec:
    """One event of a fixture article: which sentence, and what was coded."""

    sentence: int
    type: str
    source: list[Actor]
    target: list[Actor]
    date: str
    place: Place | None = None
    quad: int = 4
    mode: str | None = None
    acled_type: str | None = None
    hypothetical: bool = False
    fatalities: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Fixture:
    db: Path
    events: dict[str, Event]  # by a short name
    articles: dict[str, Article]


def article_parts(
    name: str,
    title: str,
    published: str,
    sentences: list[str],
    specs: list[Spec],
    url: str | None = None,
) -> tuple[Article, list[SentenceSpan], list[Event]]:
    text = " ".join(sentences)
    spans: list[SentenceSpan] = []
    at = 0
    for i, sentence in enumerate(sentences):
        spans.append(SentenceSpan(i, at, at + len(sentence), sentence))
        at += len(sentence) + 1
    article = Article(
        article_id=content_id(text),
        origin=f"fixture:{name}",
        text=text,
        title=title,
        url=url,
        site="fixture.example",
        published=date.fromisoformat(published),
    )
    events = []
    for spec in specs:
        span = spans[spec.sentence]
        event = Event(
            type=spec.type,
            mode=spec.mode,
            source=spec.source,
            target=spec.target,
            sentence=span.text,
            sentence_start=span.start,
            sentence_end=span.end,
            rule="fixture",
            confidence=0.8,
            article_id=article.article_id,
            trigger=spec.type.lower(),
            quad=spec.quad,
            acled_type=spec.acled_type,
            date=spec.date,
            date_precision="day",
            location=spec.place,
            hypothetical=spec.hypothetical,
            fatalities=spec.fatalities,
            injuries=0 if spec.fatalities is not None else None,
        )
        event.assign_id()
        events.append(event)
    return article, spans, events


SRB_GOV = actor("SRBGOV", "the Serbian government")
SRB_MIL = actor("SRBMIL", "Serbian army units")
XKX_GOV = actor("XKXGOV", "the Kosovo government")
XKX_COP = actor("XKXCOP", "Kosovo police")
RUS_GOV = actor("RUSGOV", "Russian diplomats")
KFOR = Actor("KFOR peacekeepers", "IGOKFOR", "IGO", None, "KFOR")


def build(path: Path) -> Fixture:
    """Write the fixture database at ``path``."""
    stories = [
        article_parts(
            "border",
            "Serbian army moves toward the Kosovo border",
            "2023-05-29",
            [
                "Serbian army units moved toward the Jarinje crossing on Monday.",
                "The Kosovo government accused Belgrade of stoking tension in the north.",
                "Officials in Pristina said the situation was calm by evening.",
            ],
            [
                Spec(0, "MOBILIZE", [SRB_MIL], [XKX_GOV], "2023-05-29", JARINJE, quad=4, mode="troops"),
                Spec(1, "ACCUSE", [XKX_GOV], [SRB_GOV], "2023-05-29", PRISTINA, quad=3),
            ],
        ),
        article_parts(
            "zvecan",
            "Clashes in Zvečan",
            "2023-05-30",
            [
                "Kosovo police clashed with ethnic-Serb protesters in Zvečan on Monday.",
                "Several KFOR peacekeepers were injured, officials said.",
                "Russian and Serbian diplomats met Kosovo officials in Pristina on Tuesday.",
                "Serbia could send troops to Kosovo if the violence continues, a minister warned.",
            ],
            [
                Spec(
                    0,
                    "ASSAULT",
                    [XKX_COP],
                    [actor("XKXCVL", "ethnic-Serb protesters", ethnicity="srb")],
                    "2023-05-29",
                    ZVECAN,
                    acled_type="Riots",
                    fatalities=0,
                ),
                Spec(
                    1,
                    "ASSAULT",
                    [actor("XKXCVL", "protesters")],
                    [KFOR],
                    "2023-05-29",
                    ZVECAN,
                    acled_type="Riots",
                    fatalities=0,
                ),
                # Russia comes first: the dyad SRB-XKX holds only through the second source actor
                Spec(2, "CONSULT", [RUS_GOV, SRB_GOV], [XKX_GOV], "2023-05-30", PRISTINA, quad=1),
                Spec(3, "MOBILIZE", [SRB_GOV], [XKX_GOV], "2023-05-30", None, hypothetical=True),
            ],
        ),
        article_parts(
            "leaflet",
            XSS_TITLE,
            "2023-06-06",
            [
                XSS_SENTENCE,
                'The text also quoted "</textarea><svg onload=alert(3)>" and javascript:alert(4) verbatim.',
            ],
            [Spec(0, "PROTEST", [SRB_GOV], [XKX_GOV], "2023-06-06", BELGRADE, quad=3, mode="verbal")],
            url="javascript:alert(5)",
        ),
        article_parts(
            "gao",
            "Attack near Gao",
            "2023-04-02",
            ["Gunmen attacked an army post near Gao on Sunday, killing four soldiers."],
            [
                Spec(
                    0,
                    "ASSAULT",
                    [actor("MLIREB", "gunmen")],
                    [actor("MLIMIL", "soldiers")],
                    "2023-04-02",
                    GAO,
                    acled_type="Battles",
                    fatalities=4,
                )
            ],
        ),
        article_parts(
            "kharkiv",
            "Shelling in Kharkiv",
            "2023-03-15",
            ["Russian forces shelled Kharkiv overnight, the regional governor said."],
            [
                Spec(
                    0,
                    "ASSAULT",
                    [actor("RUSMIL", "Russian forces")],
                    [actor("UKRCVL", "residents")],
                    "2023-03-15",
                    KHARKIV,
                    acled_type="Explosions/Remote violence",
                    fatalities=1,
                )
            ],
        ),
        article_parts(
            "suva",
            "Talks in Suva",
            "2023-02-01",
            ["Fijian and Australian ministers met in Suva on Wednesday."],
            [
                Spec(
                    0,
                    "CONSULT",
                    [actor("FJIGOV", "Fijian ministers")],
                    [actor("AUSGOV", "Australian ministers")],
                    "2023-02-01",
                    SUVA,
                    quad=1,
                )
            ],
        ),
    ]
    events: dict[str, Event] = {}
    articles: dict[str, Article] = {}
    names = ["mobilize", "accuse", "police", "kfor", "consult", "threat", "leaflet", "gao", "kharkiv", "suva"]
    with open_store(path) as store:
        for article, spans, evs in stories:
            store.save(article, spans, evs)
            articles[article.origin.split(":", 1)[1]] = article
            for ev in evs:
                events[names[len(events)]] = ev
    return Fixture(path, events, articles)


def add_alert(db: Path, alert_id: str, expected: float = 1.5, events: list[dict[str, Any]] | None = None) -> None:
    """Store an escalation alert for SRB-XKX, as ``alerts.evaluate`` stores one."""
    from powderkeg.alerts import Alert

    alert = Alert(
        alert_id=alert_id,
        rule="srb-xkx",
        dyad="SRB-XKX",
        directed=False,
        measure="conflict",
        window_start=date(2023, 5, 29),
        window_end=date(2023, 5, 30),
        observed=7,
        expected=expected,
        p_value=1e-6,
        score=6.0,
        baseline={"level_per_day": 0.2},
        events=events or [],
    )
    with open_store(db) as store:
        store.con.execute(
            "INSERT INTO alerts (alert_id, rule, dyad, window_start, window_end, observed, expected, p_value,"
            " score, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [alert.alert_id, alert.rule, alert.dyad, alert.window_start, alert.window_end, alert.observed,
             alert.expected, alert.p_value, alert.score, json.dumps(alert.to_dict())],
        )  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Run the app in a real uvicorn server on a free local port; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
