"""Accuracy and speed of the geoparser on the labelled sets in ../shared/gold.

    python benchmarks/geoparse.py [--gold DIR] [--corpus FILE] [--docs DIR] [--errors N]
                                  [--speed-articles N] [--no-speed] [--build] [--write]

- GeoWebNews and TR-News: the share of gold toponyms found (a predicted mention overlaps them) and
  placed within 161 km, country accuracy of the found ones, the precision of the predicted
  mentions, and accuracy@161 km over the found ones (the figure Mordecai3 reports). Both sets
  annotate demonyms ("Russian") as toponyms; powderkeg treats them as nationality, so each set is
  scored twice: with demonyms returned as mentions (the sets' convention), and on the non-demonym
  gold toponyms with places only.
- Event location (ahalterman/event_location, the 496 re-annotated "RELABEL" sentences): whether
  the place chosen in the sentence for the event verb is the gold one (or none when gold has none).
- Speed: the share of time spent geoparsing next to spaCy parsing on ../shared/corpus/news_en.jsonl
  repeated to ``--speed-articles`` articles (default 5,000; parsed and geoparsed in one streaming
  loop, so memory stays bounded), the gazetteer's open time and memory, and (with --build) the time
  to build the index. ``--no-speed`` skips it.

``--write`` writes the results into ``docs/evaluation.md``. ``--docs DIR`` keeps the spaCy parses of the gold
texts between runs (the parse is the slow part).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from report import write_section

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_GOLD = ROOT.parent / "shared" / "gold"
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "news_en.jsonl"
TARGETS = {"geo_gwn.jsonl": 0.85, "geo_trnews.jsonl": 0.85}
EVENT_LOCATION_TARGET = 0.75
REFERENCE = {"geo_gwn.jsonl": (0.941, 0.974), "geo_trnews.jsonl": (0.873, 0.978)}  # Mordecai3: acc@161, country
MILES_100_KM = 161.0


@dataclass
class Score:
    gold: int = 0
    found: int = 0
    placed: int = 0
    country_right: int = 0
    country_total: int = 0
    predicted: int = 0
    predicted_right: int = 0
    errors: list[str] = field(default_factory=list)

    def share(self, part: int, whole: int) -> float:
        return part / whole if whole else 0.0

    def row(self) -> dict[str, float | int]:
        return {
            "gold": self.gold,
            "found": round(self.share(self.found, self.gold), 3),
            "within_161km": round(self.share(self.placed, self.gold), 3),
            "acc161_of_found": round(self.share(self.placed, self.found), 3),
            "country_accuracy": round(self.share(self.country_right, self.country_total), 3),
            "precision": round(self.share(self.predicted_right, self.predicted), 3),
        }


def _docs(nlp, texts: list[str], cache: Path | None, name: str):
    from spacy.tokens import DocBin

    if cache is not None:
        path = cache / f"{name}.spacy"
        if path.exists():
            docs = list(DocBin().from_disk(path).get_docs(nlp.vocab))
            if len(docs) == len(texts) and all(d.text == t for d, t in zip(docs, texts, strict=True)):
                return docs
    docs = list(nlp.pipe(texts, batch_size=16))
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        bin_ = DocBin(docs=docs)
        bin_.to_disk(cache / f"{name}.spacy")
    return docs


def _gold_country(gazetteer, toponym: dict) -> str | None:
    """ISO alpha-2 country of a gold toponym: its GeoNames id if the index has it, else the
    country of the nearest indexed town within 30 km."""
    from powderkeg.geo.resolve import distance_km

    gid = toponym.get("geonameid")
    if gid:
        place = gazetteer.place(int(gid))
        if place is not None and place.country:
            return place.country
    lat, lon = toponym["lat"], toponym["lon"]
    rows = gazetteer._db.execute(
        "SELECT country, lat, lon FROM places WHERE feature = 'city' AND lat BETWEEN ? AND ? AND lon BETWEEN ? AND ?",
        (lat - 0.3, lat + 0.3, lon - 0.4, lon + 0.4),
    ).fetchall()
    best = min(rows, key=lambda r: distance_km(lat, lon, r[1], r[2]), default=None)
    if best is not None and distance_km(lat, lon, best[1], best[2]) < 30:
        return best[0]
    return None


def score_toponyms(geo, docs, records, *, demonyms: bool, errors: int = 0) -> tuple[Score, Score]:
    """(all gold toponyms, non-demonym gold toponyms)."""
    from powderkeg.geo.resolve import distance_km

    everything, places_only = Score(), Score()
    demonym_table = geo.finder.demonyms
    for doc, record in zip(docs, records, strict=True):
        mentions = geo.places(doc, demonyms=demonyms)
        gold = record["toponyms"]
        for score, subset in (
            (everything, gold),
            (places_only, [g for g in gold if not demonym_table.target(g["text"])]),
        ):
            score.gold += len(subset)
            for g in subset:
                hits = [m for m in mentions if m.start < g["end"] and g["start"] < m.end and m.place is not None]
                if not hits:
                    if len(score.errors) < errors:
                        score.errors.append(f"MISS  {record['id']} {g['text']!r}")
                    continue
                score.found += 1
                mention = min(hits, key=lambda m: abs(m.start - g["start"]))
                place = mention.place
                distance = distance_km(g["lat"], g["lon"], place.lat, place.lon)
                if distance <= MILES_100_KM:
                    score.placed += 1
                elif len(score.errors) < errors:
                    score.errors.append(
                        f"FAR   {record['id']} {g['text']!r} -> {place.name} {place.country} "
                        f"{mention.feature} ({distance:.0f} km)"
                    )
                gold_country = g.get("_country")
                if gold_country is not None:
                    score.country_total += 1
                    predicted = geo.gazetteer.iso2.get(place.country or "", place.country)
                    score.country_right += predicted == gold_country
            for mention in mentions:
                if (subset is not gold and mention.is_demonym) or mention.place is None:
                    continue
                score.predicted += 1
                score.predicted_right += any(m["start"] < mention.end and mention.start < m["end"] for m in gold)
    return everything, places_only


def read_relabel(gold_dir: Path) -> list[dict]:
    with zipfile.ZipFile(gold_dir / "raw" / "event_location" / "labeled_text.jsonl.zip") as archive:
        name = next(n for n in archive.namelist() if n.endswith(".jsonl") and not n.startswith("__MACOSX"))
        records = json.loads(archive.read(name))
    out = []
    for record in records:
        if record.get("source") != "RELABEL":
            continue
        tokens = record["tokens"]

        def chars(span: dict, tokens: list = tokens) -> tuple[int, int]:
            return tokens[span["token_start"]]["start"], tokens[span["token_end"]]["end"]

        verbs = [chars(s) for s in record.get("spans", []) if s["label"] == "VERB"]
        locations = [chars(s) for s in record.get("spans", []) if s["label"] != "VERB"]
        if verbs:
            out.append({"text": record["text"], "verb": verbs[0], "locations": locations})
    return out


def score_event_location(geo, nlp, records: list[dict], cache: Path | None, errors: int = 0) -> dict:
    from powderkeg.geo.locate import locate_event

    docs = _docs(nlp, [r["text"] for r in records], cache, "relabel")
    right = with_gold = with_gold_right = 0
    shown: list[str] = []
    for doc, record in zip(docs, records, strict=True):
        span = doc.char_span(*record["verb"], alignment_mode="expand")
        trigger = span.root.i if span is not None else 0
        mentions = geo.places(doc)
        found = locate_event(doc, trigger, mentions, None)
        chosen = found.mention if found is not None and found.basis in ("syntax", "sentence") else None
        gold = record["locations"]
        if gold:
            with_gold += 1
            ok = chosen is not None and any(chosen.start < e and s < chosen.end for s, e in gold)
            with_gold_right += ok
        else:
            ok = chosen is None
        right += ok
        if not ok and len(shown) < errors:
            gold_text = [record["text"][s:e] for s, e in gold]
            shown.append(
                f"EVLOC {record['text'][record['verb'][0] : record['verb'][1]]!r} gold={gold_text} "
                f"chosen={chosen.text if chosen else None} | {record['text'][:140]}"
            )
    return {
        "records": len(records),
        "accuracy": round(right / len(records), 3) if records else 0.0,
        "with_gold_place": with_gold,
        "accuracy_with_gold_place": round(with_gold_right / with_gold, 3) if with_gold else 0.0,
        "accuracy_without_gold_place": round((right - with_gold_right) / (len(records) - with_gold), 3)
        if len(records) > with_gold
        else 0.0,
        "errors": shown,
    }


def time_corpus(geo, nlp, corpus: Path, articles: int = 5000) -> dict:
    """Parse ``articles`` articles (the corpus repeated as often as needed) and geoparse each one
    as it comes out of the parser, timing both; a streaming loop, so memory stays bounded."""
    texts = [
        json.loads(line).get("text") or "" for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()
    ]

    def stream():
        for i in range(articles):
            yield texts[i % len(texts)]

    parse_seconds = geo_seconds = 0.0
    mentions = done = 0
    started = time.perf_counter()
    docs_iter = nlp.pipe(stream(), batch_size=32)
    while True:
        t0 = time.perf_counter()
        doc = next(docs_iter, None)
        t1 = time.perf_counter()
        if doc is None:
            break
        parse_seconds += t1 - t0
        found = geo.places(doc)
        mentions += len(found)
        geo_seconds += time.perf_counter() - t1
        done += 1
        if done % 500 == 0:
            print(
                f"  speed: {done}/{articles} articles, geoparse share so far "
                f"{geo_seconds / (parse_seconds + geo_seconds):.1%}",
                file=sys.stderr,
            )
    total = time.perf_counter() - started
    return {
        "articles": done,
        "distinct_articles": len(texts),
        "parse_seconds": round(parse_seconds, 2),
        "geoparse_seconds": round(geo_seconds, 2),
        "geoparse_share": round(geo_seconds / (parse_seconds + geo_seconds), 3) if total else 0.0,
        "articles_per_second": round(done / total, 1) if total else 0.0,
        "mentions": mentions,
    }


_LOAD_PROBE = """
import json, time


def rss_mb(field="VmRSS"):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith(field))


before = rss_mb()
started = time.perf_counter()
from powderkeg.geo import Geoparser
imported = time.perf_counter()
geo = Geoparser()
geo.places  # noqa: B018
opened = time.perf_counter()
print(json.dumps({"seconds": round(opened - started, 3), "open_seconds": round(opened - imported, 3),
                  "rss_mb": round(rss_mb(), 1), "added_mb": round(rss_mb() - before, 1),
                  "peak_rss_mb": round(rss_mb("VmHWM"), 1)}))
"""


def measure_load() -> dict:
    """Open the (already built) index in a fresh process: time and memory."""
    out = subprocess.run([sys.executable, "-c", _LOAD_PROBE], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure_build() -> float:
    from powderkeg.geo.gazetteer import build_index

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        build_index(Path(tmp) / "gazetteer.sqlite")
        return round(time.perf_counter() - started, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=DEFAULT_GOLD)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--docs", type=Path, default=None, help="keep spaCy parses of the gold texts here")
    parser.add_argument("--errors", type=int, default=0, help="print up to N errors per measure")
    parser.add_argument("--build", action="store_true", help="also time a fresh build of the gazetteer index")
    parser.add_argument("--no-speed", action="store_true", help="skip the corpus timing")
    parser.add_argument(
        "--speed-articles",
        type=int,
        default=5000,
        help="articles to parse and geoparse for the timing (the corpus repeated as needed; default 5000)",
    )
    parser.add_argument("--write", action="store_true", help="write the results into docs/evaluation.md")
    args = parser.parse_args()

    from powderkeg.config import load_settings
    from powderkeg.geo import Geoparser
    from powderkeg.nlp import load_model

    nlp = load_model(load_settings().spacy_model)
    geo = Geoparser(nlp=nlp)
    results: dict[str, object] = {}
    lines = [
        "| set | gold toponyms | found | found and within 161 km | acc@161 of found | country accuracy | "
        "precision | target | Mordecai3 acc@161 / country |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in TARGETS:
        path = args.gold / name
        if not path.is_file():
            print(f"skipped {name}: not found in {args.gold}")
            continue
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        for record in records:
            for toponym in record["toponyms"]:
                toponym["_country"] = _gold_country(geo.gazetteer, toponym)
        docs = _docs(nlp, [r["text"] for r in records], args.docs, name.removesuffix(".jsonl"))
        started = time.perf_counter()
        with_demonyms, _ = score_toponyms(geo, docs, records, demonyms=True, errors=args.errors)
        seconds = time.perf_counter() - started
        _, places_only = score_toponyms(geo, docs, records, demonyms=False, errors=args.errors)
        reference = REFERENCE[name]
        for label, score in (
            ("all toponyms, demonyms returned", with_demonyms),
            ("toponyms without demonyms, places only", places_only),
        ):
            row = score.row()
            results[f"{name}: {label}"] = row
            lines.append(
                f"| {name.removesuffix('.jsonl')} ({label}) | {row['gold']} | {row['found']:.3f} | "
                f"**{row['within_161km']:.3f}** | {row['acc161_of_found']:.3f} | {row['country_accuracy']:.3f} | "
                f"{row['precision']:.3f} | >= {TARGETS[name]:.2f} | {reference[0]:.3f} / {reference[1]:.3f} |"
            )
            for error in score.errors:
                print(error)
        print(f"{name}: {len(records)} articles geoparsed in {seconds:.2f} s (parses cached or not counted)")
    table = "\n".join(lines)
    print(table)

    relabel = read_relabel(args.gold)
    event = score_event_location(geo, nlp, relabel, args.docs, errors=args.errors)
    for error in event.pop("errors"):
        print(error)
    results["event_location"] = event
    print(json.dumps(event))

    speed = (
        {} if args.no_speed or not args.corpus.is_file() else time_corpus(geo, nlp, args.corpus, args.speed_articles)
    )
    if speed:
        print(json.dumps(speed))
    load = measure_load()
    print(json.dumps({"load": load}))
    build_seconds = measure_build() if args.build else None
    if build_seconds is not None:
        print(json.dumps({"build_seconds": build_seconds}))

    if args.write:
        write_doc(table, event, speed, load, build_seconds)


def write_doc(table: str, event: dict, speed: dict, load: dict, build_seconds: float | None) -> None:
    body = [
        "## Geoparsing\n",
        "Toponyms of GeoWebNews (GWN) and TR-News: a gold toponym counts as *found* when a predicted "
        "mention overlaps it, and as placed when the predicted point is within 161 km (100 miles) of "
        "the gold one. *acc@161 of found* is the figure Mordecai3 reports. Both sets annotate demonyms "
        '("Russian") as toponyms; powderkeg reads them as nationality, so each set is scored both with '
        "demonyms returned as mentions and on the other toponyms with places only.\n",
        table,
        "",
        f"Event location (the re-annotated RELABEL sentences of ahalterman/event_location, {event['records']} of "
        f"them with an event verb): "
        f"the place chosen in the sentence for the event verb is the gold one (or none where gold has none) in "
        f"**{event['accuracy']:.3f}** of records (target >= {EVENT_LOCATION_TARGET:.2f}); "
        f"{event['accuracy_with_gold_place']:.3f} of the {event['with_gold_place']} with a gold place, "
        f"{event['accuracy_without_gold_place']:.3f} of those without.",
        "",
    ]
    if speed:
        body.append(
            f"Speed on {speed['articles']:,} news articles ({speed['distinct_articles']} distinct ones of "
            f"`news_en.jsonl`, repeated; parsed and geoparsed one at a time as they stream out of the parser): "
            f"spaCy parsing {speed['parse_seconds']} s, geoparsing {speed['geoparse_seconds']} s, so geoparsing "
            f"takes **{speed['geoparse_share']:.1%}** of the time (target < 15%); "
            f"{speed['articles_per_second']} articles/s for the two together."
        )
    body.append(
        f"Loading the geoparser in a fresh process (import and opening the index): {load['seconds']} s "
        f"({load['open_seconds']} s to open the index), +{load['added_mb']} MB resident memory, "
        f"peak {load['peak_rss_mb']} MB for the whole process."
        + (f" Building the index: {build_seconds} s." if build_seconds is not None else "")
    )
    flags = " --build" if build_seconds is not None else ""
    body.append(
        f"\nMeasured {date.today().isoformat()} with `python benchmarks/geoparse.py --write{flags}` "
        "on a 2-core machine.\n"
    )
    target = write_section("evaluation.md", "geoparsing", "\n".join(body))
    print(f"wrote {target}")


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
