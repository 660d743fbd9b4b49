"""Escalation detection: a rise in a dyad's daily conflict events, tested against its own past.

The model (``docs/escalation.md`` has the details and the measured error rates):

* For a dyad and a *measure* (by default conflict events, quad class 3 or 4), take the daily
  counts ``y``. For a window of ``W`` days (1 and 2 by default) ending on day ``t``, the level is
  estimated from the ``baseline_days`` (56) days before the window, weekday factors and
  over-dispersion from the ``weekday_days`` (112) days before it (or what there is).
* Over-dispersion: a negative-binomial variance ``mu + phi * mu^2``, ``phi`` by the method of
  moments around each weekday's mean (degrees of freedom corrected), with its standard error (see
  :func:`dispersion_se`); ``dispersion_margin`` (0) standard errors may be added.
* Weekday factors: gamma-Poisson posterior means around 1 with a prior worth ``weekday_prior``
  events, normalised to average 1.
* Expected count: the weekday-adjusted level times the window's weekday factors, at least
  ``min_expected`` per day (a floor for sparse dyads).
* The window is *surprising* when its count ``Y`` has an upper-tail mid-p value
  ``P(Y' > Y) + P(Y' = Y) / 2 <= alpha`` under a predictive distribution: the negative binomial
  averaged over the estimation error of the expected count (level and weekday factors, a log-normal
  factor on the mean) and of ``phi`` (normal, one standard error; estimates below 0 reduce the
  mean's error instead), see :func:`nb_log_mid_p_predictive`; and ``Y >= min_ratio * expected`` and
  ``Y >= min_count``. Its score is ``-log10`` of that p value. (The averaging keeps the
  false-alarm rate near its level whatever the dyad's count level and dispersion, so one
  ``alpha`` fits all; the mid-p keeps the rate of sparse dyads, whose counts are small integers,
  near that of busy ones instead of far below it.)
* One alert per escalation: surprising windows ending within ``cooldown_days`` of an alert of the
  same rule are folded into it (also across runs: stored alerts count).
* Only events at or above ``min_confidence`` are counted and cited. An alert records the threshold
  it was counted at and is listed at that threshold or a lower one: an alert counted with events
  under the threshold asked for is not shown (nor does it hold back detection at that threshold).

Rules (which dyads, and per-dyad settings) are read from a YAML file, by default the packaged
``data/alert_rules.yaml``. Alerts are stored in the database with a stable id, so evaluating the
same data again finds nothing new, and each alert goes to each sink (console, JSONL file,
webhook) once: deliveries are queued in the store and a sink that fails is tried again on the
next evaluation.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO

import numpy as np

from powderkeg.coder.taxonomy import PLOVER_CATEGORIES
from powderkeg.series import (
    MEASURES,
    ActorFilter,
    Dyad,
    SeriesError,
    Side,
    country_pairs,
    data_span,
    dyad_events,
    measure_counts,
    pair_counts,
    side_from_config,
)
from powderkeg.store.confidence import check_min_confidence

if TYPE_CHECKING:
    import httpx

    from powderkeg.config import Settings
    from powderkeg.store import Store

__all__ = [
    "Alert",
    "ConsoleSink",
    "DeliveryError",
    "DyadRule",
    "JsonlSink",
    "Params",
    "Rules",
    "RulesError",
    "Signal",
    "Sink",
    "WebhookSink",
    "alert_windows",
    "deliver",
    "detect",
    "episodes",
    "evaluate",
    "evaluate_and_deliver",
    "load_rules",
    "dispersion_se",
    "nb_log_mid_p",
    "nb_log_mid_p_predictive",
    "nb_log_upper_tail",
    "nb_upper_tail",
    "rules_for",
    "scan",
    "sinks_from_settings",
    "stored_alerts",
]

#: A delivery that failed this many evaluation rounds is given up (status ``failed``).
MAX_DELIVERY_ROUNDS = 10


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the file and the key."""


# -- the statistical model -------------------------------------------------------------------


@dataclass(frozen=True)
class Params:
    """Detector settings; every one can be set in the rules file's ``defaults`` or per dyad."""

    measure: str | tuple[str, ...] = "conflict"
    windows: tuple[int, ...] = (1, 2)
    baseline_days: int = 56
    weekday_days: int = 112
    weekday_prior: float = 10.0
    min_history_days: int = 21
    alpha: float = 1.3e-3
    min_ratio: float = 1.5
    min_count: int = 3
    min_expected: float = 0.2
    dispersion_min: float = 0.0
    dispersion_max: float = 5.0
    dispersion_margin: float = 0.0
    cooldown_days: int = 7
    lookback_days: int = 3
    top_events: int = 5

    @classmethod
    def from_mapping(cls, data: dict[str, Any], base: Params | None = None, where: str = "") -> Params:
        """``base`` with the settings in ``data`` applied, checked."""
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                raise RulesError(f"{where}unknown setting {key!r}; known: {', '.join(sorted(known))}")
            try:
                values[key] = _param_value(key, value)
            except (TypeError, ValueError) as exc:
                raise RulesError(f"{where}setting {key!r}: cannot use {value!r} ({exc})") from exc
        params = replace(base or cls(), **values)
        problem = params.problem()
        if problem:
            raise RulesError(f"{where}{problem}")
        return params

    def problem(self) -> str | None:
        if isinstance(self.measure, str) and self.measure not in MEASURES:
            return f"measure {self.measure!r} is not one of {', '.join(MEASURES)} (or a list of PLOVER categories)"
        unknown = [m for m in self.measure if m not in PLOVER_CATEGORIES] if isinstance(self.measure, tuple) else []
        if unknown:
            return f"measure: {', '.join(unknown)} not PLOVER categories ({', '.join(PLOVER_CATEGORIES)})"
        if not self.windows or any(w < 1 or w > 14 for w in self.windows):
            return "windows must be between 1 and 14 days"
        if not 0 < self.alpha < 1:
            return "alpha must be between 0 and 1"
        if self.baseline_days < 7 or self.weekday_days < self.baseline_days:
            return "baseline_days must be at least 7 and weekday_days at least baseline_days"
        if self.min_history_days < 7:
            return "min_history_days must be at least 7"
        if not 0 <= self.dispersion_min <= self.dispersion_max:
            return "dispersion_min must be between 0 and dispersion_max"
        if self.dispersion_margin < 0:
            return "dispersion_margin must be >= 0"
        if self.min_expected < 0 or self.min_ratio < 1 or self.min_count < 1:
            return "min_expected must be >= 0, min_ratio >= 1 and min_count >= 1"
        if self.cooldown_days < 0 or self.lookback_days < 1 or self.top_events < 0 or self.weekday_prior < 0:
            return "cooldown_days, top_events and weekday_prior must be >= 0, lookback_days >= 1"
        return None

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["windows"] = list(self.windows)
        if isinstance(self.measure, tuple):
            d["measure"] = list(self.measure)
        return d


def _param_value(key: str, value: Any) -> Any:
    if key == "measure":
        if isinstance(value, str):
            return value
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return tuple(v.upper() for v in value)
        raise ValueError("a measure name or a list of PLOVER categories")
    if key == "windows":
        items = value if isinstance(value, list) else [value]
        return tuple(sorted({int(v) for v in items}))
    kind = {f.name: f.type for f in fields(Params)}[key]
    if isinstance(value, bool):
        raise ValueError("a number")
    if kind == "int":
        if float(value) != int(value):
            raise ValueError("a whole number")
        return int(value)
    return float(value)


def nb_log_upper_tail(observed: int, mean: float, dispersion: float) -> float:
    """Natural log of ``P(Y >= observed)`` for a negative binomial ``Y`` with this mean and
    variance ``mean + dispersion * mean**2`` (Poisson when ``dispersion`` is 0)."""
    k = int(observed)
    if k <= 0:
        return 0.0
    if mean <= 0:
        return -math.inf
    if dispersion <= 0:

        def log_pmf(j: int) -> float:
            return j * math.log(mean) - mean - math.lgamma(j + 1)

        def ratio(j: int) -> float:  # pmf(j + 1) / pmf(j)
            return mean / (j + 1)

    else:
        r = 1.0 / dispersion
        log_p, log_q = math.log(r / (r + mean)), math.log(mean / (r + mean))
        q = mean / (r + mean)

        def log_pmf(j: int) -> float:
            return math.lgamma(j + r) - math.lgamma(r) - math.lgamma(j + 1) + r * log_p + j * log_q

        def ratio(j: int) -> float:
            return q * (j + r) / (j + 1)

    if ratio(k) >= 1.0:  # k at or below the mode: the tail is large; 1 - CDF is accurate
        cdf = sum(math.exp(log_pmf(j)) for j in range(k))
        return math.log(max(1.0 - cdf, 1e-300))
    # above the mode the terms fall ever faster: sum them relative to the first one
    total, term, j = 1.0, 1.0, k
    while j < k + 1_000_000:
        term *= ratio(j)
        total += term
        j += 1
        if term < total * 1e-17:
            break
    return log_pmf(k) + math.log(total)


def nb_upper_tail(observed: int, mean: float, dispersion: float) -> float:
    """``P(Y >= observed)``; see :func:`nb_log_upper_tail`."""
    return math.exp(nb_log_upper_tail(observed, mean, dispersion))


def nb_log_mid_p(observed: int, mean: float, dispersion: float) -> float:
    """Natural log of the upper-tail mid-p value ``P(Y > observed) + P(Y = observed) / 2``, the
    average of ``P(Y >= observed)`` and ``P(Y >= observed + 1)`` (see :func:`nb_log_upper_tail`)."""
    at = nb_log_upper_tail(observed, mean, dispersion)
    above = nb_log_upper_tail(int(observed) + 1, mean, dispersion)
    return float(np.logaddexp(at, above)) - math.log(2.0)


#: Gauss-Hermite nodes (probabilists') per uncertain quantity in :func:`nb_log_mid_p_predictive`.
PREDICTIVE_NODES = 3


def nb_log_mid_p_predictive(
    observed: int,
    mean: float,
    dispersion: float,
    mean_var: float,
    dispersion_se: float,
    nodes: int = PREDICTIVE_NODES,
    log_cutoff: float = math.inf,
) -> float:
    """Natural log of the upper-tail mid-p value (see :func:`nb_log_mid_p`) of a predictive
    distribution that averages the negative binomial over the uncertainty of its two estimated
    parameters, by Gauss-Hermite quadrature with ``nodes`` points each:

    * the mean: ``mean`` times a log-normal factor with mean 1 and relative variance ``mean_var``
      (the estimation error of the level and the weekday factors). A mixture, not a negative
      binomial whose dispersion adds ``mean_var``: the error of the mean multiplies the days' own
      gamma noise, and that product has a heavier upper tail than one gamma of the same variance
      (with the added dispersion the false-alarm rate of over-dispersed dyads was about 1.3 times
      the nominal one even with a known ``phi``; with the mixture it is the nominal one).
    * the dispersion: normal around the (unclipped) estimate ``dispersion`` with standard deviation
      ``dispersion_se``. Averaging the tail over it is, to first order, what keeps the test at its
      level when ``phi`` is estimated (an underestimated ``phi`` raises the tail far more than an
      overestimated one lowers it). A node below 0 (under-dispersion, which the negative binomial
      cannot express) is used as 0 and its deficit taken off the mean's variance: what the data say
      is the total extra-Poisson variance ``phi + mean_var``, clipped at 0 as a whole. (Clipping
      ``phi`` at 0 before averaging made the test several times more conservative than its level
      for Poisson dyads.)

    With ``mean_var`` and ``dispersion_se`` 0 this is :func:`nb_log_mid_p`. The heaviest node pair
    is summed first; when its term alone is above ``log_cutoff`` that term (a lower bound of the
    result, so also above the cutoff) is returned without the others.
    """
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / w.sum()
    order = np.argsort(-w)  # heaviest node first
    x, w = x[order], w[order]
    phis = dispersion + dispersion_se * x if dispersion_se > 0 else np.array([dispersion])
    phi_weights = w if dispersion_se > 0 else np.ones(1)
    logs: list[float] = []
    for phi, phi_weight in zip(phis, phi_weights, strict=True):
        var = max(mean_var + min(float(phi), 0.0), 0.0)
        s2 = math.log1p(var)
        means = mean * np.exp(math.sqrt(s2) * x - s2 / 2) if var > 0 else np.array([mean])
        mean_weights = w if var > 0 else np.ones(1)
        for m, mean_weight in zip(means, mean_weights, strict=True):
            logs.append(nb_log_mid_p(observed, float(m), max(float(phi), 0.0)) + math.log(phi_weight * mean_weight))
            if len(logs) == 1 and logs[0] > log_cutoff:
                return logs[0]
    return float(np.logaddexp.reduce(logs))


def dispersion_se(phi: np.ndarray | float, mean: np.ndarray | float, days: np.ndarray | float) -> np.ndarray:
    """Approximate standard error of the moment estimate ``(s2 - m) / m^2`` of ``phi`` from ``days``
    negative-binomial daily counts with this mean: by the delta method, with the sample variance's
    own variance (the fourth cumulant) and its covariance with the sample mean,
    ``sqrt(2 * (1 + phi) / days) * (phi + 1 / mean)``. (Without the ``1 + phi`` factor, the
    normal-theory value, it falls short for over-dispersed dyads.)"""
    phi, mean, days = np.asarray(phi, float), np.asarray(mean, float), np.asarray(days, float)
    return np.sqrt(2.0 * (1.0 + phi) / np.maximum(days, 1.0)) * (phi + 1.0 / mean)


@dataclass(frozen=True)
class Signal:
    """A surprising window: ``end`` is the index of its last day in the scanned counts."""

    end: int
    days: int
    observed: int
    expected: float
    log_p: float  # natural log of the upper-tail mid-p value
    level: float  # baseline events per day, weekday-adjusted
    dispersion: float  # the day-level phi used

    @property
    def start(self) -> int:
        return self.end - self.days + 1

    @property
    def p_value(self) -> float:
        return math.exp(self.log_p)

    @property
    def score(self) -> float:
        return -self.log_p / math.log(10)

    @property
    def ratio(self) -> float:
        return self.observed / self.expected if self.expected > 0 else math.inf


def scan(counts: Sequence[int] | np.ndarray, first_weekday: int, params: Params, first_end: int = 0) -> list[Signal]:
    """Every surprising window in a daily series (see the module docstring for the model).

    ``first_weekday`` is the weekday of ``counts[0]`` (Monday 0); only windows ending at index
    ``first_end`` or later are tested. Signals come sorted by end, then window length.
    """
    y = np.asarray(counts, dtype=float)
    n = len(y)
    if n == 0:
        return []
    dow = (first_weekday + np.arange(n)) % 7
    onehot = (dow[None, :] == np.arange(7)[:, None]).astype(float)
    zero7 = np.zeros((7, 1))
    by_day = np.concatenate([zero7, np.cumsum(onehot * y, axis=1)], axis=1)  # (7, n+1) sums per weekday
    n_days = np.concatenate([zero7, np.cumsum(onehot, axis=1)], axis=1)
    total = np.concatenate([[0.0], np.cumsum(y)])
    squares = np.concatenate([[0.0], np.cumsum(y * y)])
    signals: list[Signal] = []
    for width in params.windows:
        ends = np.arange(max(width - 1, first_end), n)
        last = ends - width  # the last baseline day
        ends, last = ends[last + 1 >= params.min_history_days], last[last + 1 >= params.min_history_days]
        if not len(ends):
            continue
        # over-dispersion and weekday factors from the longer history [hist, last]
        hist = np.maximum(0, last - params.weekday_days + 1)
        s = by_day[:, last + 1] - by_day[:, hist]
        k = n_days[:, last + 1] - n_days[:, hist]
        s_all, k_all = s.sum(axis=0), k.sum(axis=0)
        mean = s_all / k_all
        floor_mean = np.maximum(mean, max(params.min_expected, 0.01))
        # phi: moments around each weekday's own mean (degrees of freedom corrected), so that a
        # weekly rhythm is not mistaken for noise
        raw = s / np.maximum(k, 1.0)
        mu_sq = (k * raw**2).sum(axis=0)
        spread = (squares[last + 1] - squares[hist]) - mu_sq
        dof = np.maximum(k_all - (k > 0).sum(axis=0), 1.0)
        phi_raw = np.where(mu_sq > 0, (spread * k_all / dof - s_all) / np.where(mu_sq > 0, mu_sq, 1.0), 0.0)
        phi = np.clip(phi_raw, params.dispersion_min, params.dispersion_max)
        # its standard error, and dispersion_margin of them added (0 by default: the test averages
        # the tail over the estimate's uncertainty instead, see nb_log_mid_p_predictive)
        phi_se = dispersion_se(phi, floor_mean, k_all)
        phi_center = np.minimum(phi_raw + params.dispersion_margin * phi_se, params.dispersion_max)
        phi = np.clip(phi_center, params.dispersion_min, params.dispersion_max)
        # weekday factors: gamma-Poisson posterior means around 1 with a prior worth weekday_prior
        # events, each weekday's events discounted for over-dispersion; normalised to average 1
        discount = 1.0 / (1.0 + phi * floor_mean)
        info = k * mean * discount + params.weekday_prior
        safe_info = np.where(info > 0, info, 1.0)
        factors = np.where(info > 0, (s * discount + params.weekday_prior) / safe_info, 1.0)
        factor_var = np.where(info > 0, factors / safe_info, 0.0)  # posterior variance
        weight = (k * factors).sum(axis=0)
        norm = np.where(weight > 0, k_all / np.where(weight > 0, weight, 1.0), 1.0)
        factors, factor_var = factors * norm, factor_var * norm**2
        # the level over the baseline [base, last]
        base = np.maximum(0, last - params.baseline_days + 1)
        s_base = by_day[:, last + 1] - by_day[:, base]
        k_base = n_days[:, last + 1] - n_days[:, base]
        base_total = s_base.sum(axis=0)
        level = base_total / (k_base * factors).sum(axis=0)
        k_window = n_days[:, ends + 1] - n_days[:, ends + 1 - width]
        expected = np.maximum(level * (k_window * factors).sum(axis=0), params.min_expected * width)
        observed = total[ends + 1] - total[ends + 1 - width]
        # the window total's over-dispersion is the days' own (phi / width); the expected count's
        # relative variance is the estimation error of the level and of the window's weekday factors
        level_error = phi / (last + 1 - base) + 1.0 / np.maximum(base_total, 1.0)
        window_factors = (k_window * factors).sum(axis=0)
        factor_error = (k_window**2 * factor_var).sum(axis=0) / np.maximum(window_factors, 1e-9) ** 2
        mean_var = level_error + factor_error
        gate = (observed >= params.min_count) & (observed >= params.min_ratio * expected)
        log_alpha = math.log(params.alpha)
        for i in np.nonzero(gate)[0]:
            o, e = int(observed[i]), float(expected[i])
            # the estimate itself, unclipped below (see nb_log_mid_p_predictive) unless dispersion_min > 0
            center = float(phi[i]) if params.dispersion_min > 0 else float(phi_center[i])
            log_p = nb_log_mid_p_predictive(
                o, e, center / width, float(mean_var[i]), float(phi_se[i]) / width, log_cutoff=log_alpha
            )
            if log_p <= log_alpha:
                signals.append(Signal(int(ends[i]), width, o, e, log_p, float(level[i]), float(phi[i])))
    signals.sort(key=lambda s: (s.end, s.days))
    return signals


def episodes(signals: Iterable[Signal], cooldown_days: int, taken: Iterable[int] = ()) -> list[Signal]:
    """One signal per escalation: per end day the most surprising window, then the first of each
    run of days; a signal within ``cooldown_days`` of a kept one (or of an index in ``taken``,
    e.g. alerts already stored) is folded into it."""
    best: dict[int, Signal] = {}
    for s in signals:
        if s.end not in best or s.log_p < best[s.end].log_p:
            best[s.end] = s
    kept: list[Signal] = []
    previous = sorted(taken)
    for end in sorted(best):
        if any(abs(end - t) <= cooldown_days for t in previous) or (kept and end - kept[-1].end <= cooldown_days):
            continue
        kept.append(best[end])
    return kept


# -- rules ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DyadRule:
    name: str
    dyad: Dyad
    params: Params
    note: str = ""
    pair: tuple[str, str] | None = None  # set for the automatic country-pair rules


@dataclass(frozen=True)
class Rules:
    defaults: Params
    dyads: tuple[DyadRule, ...]
    pairs: bool = True  # also watch every country pair with enough events
    pair_min_events: int = 20  # ... over the history a detection run looks at
    pair_params: Params | None = None
    source: str = ""


def _default_rules_text() -> tuple[str, str]:
    res = resources.files("powderkeg") / "data" / "alert_rules.yaml"
    return res.read_text(encoding="utf-8"), "powderkeg/data/alert_rules.yaml"


def load_rules(path: str | Path | None = None) -> Rules:
    """Read a rules file (see ``docs/escalation.md``); None or "" reads the packaged defaults."""
    import yaml

    if path:
        p = Path(path)
        if not p.is_file():
            raise RulesError(f"no rules file at {p}")
        text, where = p.read_text(encoding="utf-8"), str(p)
    else:
        text, where = _default_rules_text()
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise RulesError(f"{where}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise RulesError(f"{where}: expected a mapping with defaults, pairs and dyads")
    unknown = set(data) - {"defaults", "pairs", "dyads"}
    if unknown:
        raise RulesError(f"{where}: unknown section(s) {sorted(unknown)}; known: defaults, pairs, dyads")
    defaults = Params.from_mapping(_mapping(data.get("defaults"), where, "defaults"), where=f"{where}: defaults: ")
    pairs = _mapping(data.get("pairs"), where, "pairs")
    pair_keys = {"enabled", "min_events", "settings"}
    if set(pairs) - pair_keys:
        raise RulesError(f"{where}: pairs: unknown key(s) {sorted(set(pairs) - pair_keys)}; known: {sorted(pair_keys)}")
    pair_settings = _mapping(pairs.get("settings"), where, "pairs.settings")
    pair_params = Params.from_mapping(pair_settings, defaults, f"{where}: pairs.settings: ") if pair_settings else None
    dyads: list[DyadRule] = []
    seen: set[str] = set()
    items = data.get("dyads") or []
    if not isinstance(items, list):
        raise RulesError(f"{where}: dyads must be a list")
    for number, item in enumerate(items, start=1):
        rule = _dyad_rule(item, defaults, f"{where}: dyads[{number}]: ")
        if rule.name in seen:
            raise RulesError(f"{where}: dyads[{number}]: the name {rule.name!r} is used twice")
        seen.add(rule.name)
        dyads.append(rule)
    min_events = pairs.get("min_events", 20)
    if isinstance(min_events, bool) or not isinstance(min_events, int) or min_events < 1:
        raise RulesError(f"{where}: pairs.min_events must be a whole number >= 1")
    return Rules(defaults, tuple(dyads), bool(pairs.get("enabled", True)), min_events, pair_params, where)


def _mapping(value: Any, where: str, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RulesError(f"{where}: {what} must be a mapping")
    return value


def _dyad_rule(item: Any, defaults: Params, where: str) -> DyadRule:
    if not isinstance(item, dict):
        raise RulesError(f"{where}a dyad rule must be a mapping with name, a and b")
    item = dict(item)
    name = str(item.pop("name", "") or "").strip()
    note = str(item.pop("note", "") or "")
    directed = item.pop("directed", False)
    a, b = item.pop("a", None), item.pop("b", None)
    if not name:
        raise RulesError(f"{where}every dyad rule needs a name")
    if a is None and b is None:  # "SRB-XKX": an override for a country pair
        parts = name.split("-")
        if len(parts) != 2:
            raise RulesError(f"{where}{name!r}: give sides a and b, or name the pair as AAA-BBB")
        a, b = parts
    if a is None or b is None:
        raise RulesError(f"{where}{name!r}: give both sides, a and b")
    try:
        dyad = Dyad(side_from_config(a), side_from_config(b), bool(directed))
    except SeriesError as exc:
        raise RulesError(f"{where}{name!r}: {exc}") from exc
    return DyadRule(name, dyad, Params.from_mapping(item, defaults, f"{where}{name!r}: "), note)


def _country_side(code: str) -> Side:
    return Side((ActorFilter(code),))


def rules_for(store: Store, rules: Rules, since: date, until: date, min_confidence: float = 0.0) -> list[DyadRule]:
    """The rules to evaluate: the file's dyads, and (when ``pairs`` is on) every country pair
    with at least ``min_events`` events (of at least ``min_confidence``) between ``since`` and
    ``until`` that no dyad rule of the same name (``AAA-BBB``, alphabetical) replaces."""
    out = list(rules.dyads)
    if rules.pairs:
        names = {r.name for r in rules.dyads}
        params = rules.pair_params or rules.defaults
        for a, b, _ in country_pairs(store, since, until, rules.pair_min_events, min_confidence):
            name = f"{a}-{b}"
            if name not in names:
                out.append(DyadRule(name, Dyad(_country_side(a), _country_side(b)), params, pair=(a, b)))
    return out


# -- alerts ------------------------------------------------------------------------------------


@dataclass
class Alert:
    """A significant rise in a dyad's events over a window, and the events behind it."""

    alert_id: str
    rule: str
    dyad: str
    directed: bool
    measure: str | list[str]
    window_start: date
    window_end: date
    observed: int
    expected: float
    p_value: float
    score: float
    baseline: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    created_at: str = ""
    min_confidence: float = 0.0  # the events counted and cited had at least this confidence

    @property
    def ratio(self) -> float:
        return round(self.observed / self.expected, 2) if self.expected else math.inf

    def to_dict(self) -> dict[str, Any]:
        return {
            "alert_id": self.alert_id,
            "rule": self.rule,
            "dyad": self.dyad,
            "directed": self.directed,
            "measure": self.measure,
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "days": (self.window_end - self.window_start).days + 1,
            "observed": self.observed,
            "expected": self.expected,
            "ratio": self.ratio,
            "p_value": self.p_value,
            "score": self.score,
            "baseline": self.baseline,
            "events": self.events,
            "created_at": self.created_at,
            "min_confidence": self.min_confidence,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Alert:
        return cls(
            alert_id=d["alert_id"],
            rule=d["rule"],
            dyad=d["dyad"],
            directed=bool(d.get("directed")),
            measure=d["measure"],
            window_start=date.fromisoformat(d["window_start"]),
            window_end=date.fromisoformat(d["window_end"]),
            observed=int(d["observed"]),
            expected=float(d["expected"]),
            p_value=float(d["p_value"]),
            score=float(d["score"]),
            baseline=d.get("baseline") or {},
            events=d.get("events") or [],
            created_at=d.get("created_at") or "",
            min_confidence=float(d.get("min_confidence") or 0.0),
        )

    def summary(self) -> str:
        window = self.window_start.isoformat()
        if self.window_end != self.window_start:
            window += f"..{self.window_end.isoformat()}"
        what = self.measure if isinstance(self.measure, str) else "+".join(self.measure)
        return (
            f"{self.rule}: {self.observed} {what} event(s) on {window}, {self.expected:.1f} expected "
            f"(x{self.ratio}, p={self.p_value:.1e}, score {self.score:.1f})"
        )


def alert_id(rule: DyadRule, start: date, end: date, min_confidence: float = 0.0) -> str:
    measure = rule.params.measure if isinstance(rule.params.measure, str) else ",".join(rule.params.measure)
    key = f"{rule.name}|{rule.dyad.label()}|{measure}|{start.isoformat()}|{end.isoformat()}"
    if min_confidence > 0:  # counted from fewer events: another alert (ids of threshold 0 stay as they were)
        key += f"|{float(min_confidence)!r}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


_EVENT_FIELDS = ("event_id", "day", "type", "mode", "quad", "intensity", "fatalities", "injuries", "sentence",
                 "url", "title", "article_id")  # fmt: skip


def _event_summary(event: dict[str, Any]) -> dict[str, Any]:
    out = {k: event.get(k) for k in _EVENT_FIELDS}
    for role in ("source", "target"):
        out[role] = [{"code": a.get("code"), "text": a.get("text")} for a in event.get(role) or []]
    return out


def _alerts_shown_sql(min_confidence: float) -> tuple[str, list[Any]]:
    """A condition on the ``alerts`` table keeping the alerts shown at ``min_confidence``: those
    counted at that threshold or a higher one (an alert stored before alerts recorded it: 0)."""
    threshold = check_min_confidence(min_confidence)
    if threshold == 0.0:
        return "true", []
    return "coalesce(TRY_CAST(json_extract_string(json, '$.min_confidence') AS DOUBLE), 0) >= ?", [threshold]


def _stored_ends(store: Store, rule_name: str, min_confidence: float = 0.0) -> list[date]:
    shown, params = _alerts_shown_sql(min_confidence)
    rows = store.con.execute(f"SELECT window_end FROM alerts WHERE rule = ? AND {shown}", [rule_name, *params])
    return [r[0] for r in rows.fetchall()]


def _history_start(first: date, since: date, until: date, p: Params, recent: bool) -> date:
    """The first day a rule's counts are needed from: its history before the first tested window."""
    rule_since = max(first, until - timedelta(days=p.lookback_days - 1)) if recent else since
    return max(first, rule_since - timedelta(days=p.weekday_days + max(p.windows)))


def detect(
    store: Store,
    rules: Rules,
    since: date | None = None,
    until: date | None = None,
    skip_stored: bool = True,
    recent: bool = False,
    min_confidence: float = 0.0,
) -> list[Alert]:
    """Alerts for windows ending between ``since`` and ``until`` (default: all stored days),
    not yet stored (unless ``skip_stored`` is False) and not within the cooldown of a stored
    alert of the same rule shown at ``min_confidence``. With ``recent``, each rule tests only
    windows ending on its last ``lookback_days`` days up to ``until`` (what ``watch`` does). Only
    events of at least ``min_confidence`` are counted and cited. Nothing is written."""
    span = data_span(store, min_confidence)
    if span is None:
        return []
    until = min(until or span[1], span[1])
    every = [r.params for r in rules.dyads] + [rules.defaults, rules.pair_params or rules.defaults]
    if recent:
        since = until - timedelta(days=max(p.lookback_days for p in every) - 1)
    since = max(since or span[0], span[0])
    if until < since:
        return []
    history = max(p.weekday_days + max(p.windows) for p in every)
    pair_from = max(span[0], since - timedelta(days=history))
    alerts: list[Alert] = []
    now = datetime.now(UTC).isoformat(timespec="seconds")
    selected = rules_for(store, rules, pair_from, until, min_confidence)
    batched: dict[tuple[str, str], list[int]] = {}
    pairs = [r for r in selected if r.pair]
    if pairs:  # the automatic pairs share their settings: one query for all of them
        p = pairs[0].params
        start = _history_start(span[0], since, until, p, recent)
        batched = pair_counts(store, p.measure, start, until, [r.pair for r in pairs if r.pair], min_confidence)
    for rule in selected:
        p = rule.params
        rule_since = max(span[0], until - timedelta(days=p.lookback_days - 1)) if recent else since
        start = _history_start(span[0], since, until, p, recent)
        if rule.pair:
            counts = batched[rule.pair]
        else:
            counts = measure_counts(store, rule.dyad, p.measure, start, until, min_confidence)
        first_end = (rule_since - start).days
        taken = [(d - start).days for d in _stored_ends(store, rule.name, min_confidence)] if skip_stored else []
        for signal in episodes(scan(counts, start.weekday(), p, first_end), p.cooldown_days, taken):
            w_start = start + timedelta(days=signal.start)
            w_end = start + timedelta(days=signal.end)
            events = (
                dyad_events(store, rule.dyad, w_start, w_end, p.measure, p.top_events, min_confidence)
                if p.top_events
                else []
            )
            alerts.append(
                Alert(
                    alert_id=alert_id(rule, w_start, w_end, min_confidence),
                    rule=rule.name,
                    dyad=rule.dyad.label(),
                    directed=rule.dyad.directed,
                    measure=p.measure if isinstance(p.measure, str) else list(p.measure),
                    window_start=w_start,
                    window_end=w_end,
                    observed=signal.observed,
                    expected=round(signal.expected, 3),
                    p_value=float(f"{signal.p_value:.3g}"),
                    score=round(signal.score, 2),
                    baseline={
                        "level_per_day": round(signal.level, 3),
                        "dispersion": round(signal.dispersion, 3),
                        "baseline_days": p.baseline_days,
                        "alpha": p.alpha,
                        "test": "predictive negative binomial, upper-tail mid-p",
                    },
                    events=[_event_summary(e) for e in events],
                    created_at=now,
                    min_confidence=float(min_confidence),
                )
            )
    alerts.sort(key=lambda a: (a.window_end, a.rule))
    return alerts


def evaluate(
    store: Store,
    rules: Rules,
    since: date | None = None,
    until: date | None = None,
    sinks: Sequence[Sink] = (),
    recent: bool = False,
    min_confidence: float = 0.0,
) -> list[Alert]:
    """Detect (see :func:`detect`), store the new alerts and queue them for ``sinks`` (see
    :func:`deliver`); returns the new alerts. Evaluating the same data again returns nothing."""
    new = detect(store, rules, since, until, recent=recent, min_confidence=min_confidence)
    if not new:
        return []
    store.con.execute("BEGIN TRANSACTION")
    try:
        for alert in new:
            store.con.execute(
                "INSERT INTO alerts (alert_id, rule, dyad, window_start, window_end, observed, expected, p_value,"
                " score, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [alert.alert_id, alert.rule, alert.dyad, alert.window_start, alert.window_end, alert.observed,
                 alert.expected, alert.p_value, alert.score, json.dumps(alert.to_dict(), ensure_ascii=False)],
            )  # fmt: skip
            for sink in sinks:
                store.con.execute(
                    "INSERT INTO alert_deliveries (alert_id, sink, status) VALUES (?, ?, 'pending')"
                    " ON CONFLICT DO NOTHING",
                    [alert.alert_id, sink.name],
                )
        store.con.execute("COMMIT")
    except BaseException:
        store.con.execute("ROLLBACK")
        raise
    return new


def stored_alerts(
    store: Store,
    since: date | None = None,
    rule: str | None = None,
    limit: int | None = None,
    min_confidence: float = 0.0,
) -> list[Alert]:
    """Stored alerts shown at ``min_confidence`` (see :func:`_alerts_shown_sql`), newest window first."""
    shown, shown_params = _alerts_shown_sql(min_confidence)
    where: list[str] = [shown]
    params: list[Any] = [*shown_params]
    if since:
        where.append("window_end >= ?")
        params.append(since)
    if rule:
        where.append("rule = ?")
        params.append(rule)
    sql = "SELECT json FROM alerts WHERE " + " AND ".join(where)
    sql += " ORDER BY window_end DESC, score DESC, alert_id"
    if limit:
        sql += " LIMIT ?"
        params.append(int(limit))
    return [Alert.from_dict(json.loads(r[0])) for r in store.con.execute(sql, params).fetchall()]


def alert_windows(store: Store, dyad: str, min_confidence: float = 0.0) -> list[tuple[date, date]]:
    """The windows of the stored alerts of a dyad (its label) shown at ``min_confidence``, oldest first."""
    shown, params = _alerts_shown_sql(min_confidence)
    rows = store.con.execute(
        f"SELECT window_start, window_end FROM alerts WHERE dyad = ? AND {shown} ORDER BY window_end",
        [dyad, *params],
    )
    return [(r[0], r[1]) for r in rows.fetchall()]


# -- delivery ----------------------------------------------------------------------------------


class DeliveryError(RuntimeError):
    """A sink could not take an alert. ``retry`` False: it refused it for good (e.g. HTTP 400)."""

    def __init__(self, message: str, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


class Sink(Protocol):
    """Where alerts go. ``name`` identifies the sink in the delivery log: keep it stable."""

    name: str

    def send(self, alert: Alert) -> None: ...


class ConsoleSink:
    """Alerts as a few readable lines on a text stream (standard output by default)."""

    name = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, alert: Alert) -> None:
        stream = self.stream or sys.stdout
        lines = [f"ALERT {alert.summary()}"]
        for event in alert.events:
            lines.append(f"  {event.get('day')} {event.get('type')}: {event.get('sentence')}")
            if event.get("url"):
                lines.append(f"    {event['url']}")
        stream.write("\n".join(lines) + "\n")
        stream.flush()


class JsonlSink:
    """Appends each alert as one JSON line to a file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.name = f"jsonl:{self.path}"

    def send(self, alert: Alert) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(alert.to_dict(), ensure_ascii=False) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise DeliveryError(f"cannot write {self.path}: {exc}") from exc


class WebhookSink:
    """POSTs each alert as JSON, with an ``Idempotency-Key`` header (the alert id).

    Connection errors, timeouts, HTTP 408, 425, 429 and 5xx are retried ``retries`` times with
    exponential backoff (``backoff`` seconds, doubling, at most ``max_backoff``; a numeric
    ``Retry-After`` is honoured up to that cap); other 4xx answers are final.
    """

    RETRY_STATUS = frozenset({408, 425, 429})

    def __init__(
        self,
        url: str,
        retries: int = 3,
        timeout: float = 10.0,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        client: httpx.Client | None = None,
    ) -> None:
        self.url = url
        self.name = f"webhook:{url}"
        self.retries = max(0, retries)
        self.timeout = timeout
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._client = client

    def _wait(self, attempt: int, retry_after: str | None) -> None:
        delay = self.backoff * (2**attempt)
        if retry_after and retry_after.strip().isdigit():
            delay = max(delay, float(retry_after))
        time.sleep(min(delay, self.max_backoff))

    def send(self, alert: Alert) -> None:
        import httpx

        from powderkeg import __version__

        client = self._client or httpx.Client(timeout=self.timeout)
        headers = {"Idempotency-Key": alert.alert_id, "User-Agent": f"powderkeg/{__version__}"}
        problem = ""
        try:
            for attempt in range(self.retries + 1):
                retry_after: str | None = None
                try:
                    response = client.post(self.url, json=alert.to_dict(), headers=headers)
                except httpx.TransportError as exc:
                    problem = f"{type(exc).__name__}: {exc}"
                else:
                    if response.is_success:
                        return
                    problem = f"HTTP {response.status_code}"
                    if response.status_code < 500 and response.status_code not in self.RETRY_STATUS:
                        raise DeliveryError(f"{self.url} refused the alert: {problem}", retry=False)
                    retry_after = response.headers.get("Retry-After")
                if attempt < self.retries:
                    self._wait(attempt, retry_after)
        finally:
            if self._client is None:
                client.close()
        raise DeliveryError(f"{self.url}: {problem} after {self.retries + 1} attempt(s)")


def sinks_from_settings(settings: Settings, console: bool = True, stream: TextIO | None = None) -> list[Sink]:
    """The console (optional), the ``alerts_jsonl`` file and each of ``webhooks``."""
    sinks: list[Sink] = [ConsoleSink(stream)] if console else []
    if settings.alerts_jsonl:
        sinks.append(JsonlSink(settings.alerts_jsonl))
    for url in settings.webhooks:
        sinks.append(WebhookSink(url, retries=settings.webhook_retries, timeout=settings.webhook_timeout))
    return sinks


@dataclass
class DeliveryReport:
    delivered: int = 0
    pending: int = 0  # failed this round, tried again next time
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (alert_id, sink, reason) this round


def deliver(store: Store, sinks: Sequence[Sink]) -> DeliveryReport:
    """Send every queued alert to its sink, once. A sink that fails keeps the alert queued for the
    next call (at most :data:`MAX_DELIVERY_ROUNDS` rounds); a refusal is final."""
    report = DeliveryReport()
    for sink in sinks:
        rows = store.con.execute(
            "SELECT d.alert_id, d.attempts, a.json FROM alert_deliveries d JOIN alerts a USING (alert_id)"
            " WHERE d.sink = ? AND d.status = 'pending' ORDER BY a.window_end, a.alert_id",
            [sink.name],
        ).fetchall()
        for alert_key, attempts, doc in rows:
            alert = Alert.from_dict(json.loads(doc))
            try:
                sink.send(alert)
            except DeliveryError as exc:
                rounds = (attempts or 0) + 1
                status = "pending" if exc.retry and rounds < MAX_DELIVERY_ROUNDS else "failed"
                store.con.execute(
                    "UPDATE alert_deliveries SET status = ?, attempts = ?, last_error = ?, updated_at = now()"
                    " WHERE alert_id = ? AND sink = ?",
                    [status, rounds, str(exc), alert_key, sink.name],
                )
                report.failed.append((alert_key, sink.name, str(exc)))
                report.pending += status == "pending"
                continue
            store.con.execute(
                "UPDATE alert_deliveries SET status = 'delivered', attempts = coalesce(attempts, 0) + 1,"
                " last_error = NULL, updated_at = now() WHERE alert_id = ? AND sink = ?",
                [alert_key, sink.name],
            )
            report.delivered += 1
    return report


def evaluate_and_deliver(
    store: Store,
    settings: Settings,
    sinks: Sequence[Sink] | None = None,
    rules: Rules | None = None,
) -> list[Alert]:
    """What ``powderkeg watch`` runs after each poll: evaluate the rules over the last
    ``lookback_days`` of stored data, store the new alerts, then deliver everything queued
    (new alerts, and earlier ones a sink failed to take). Returns the new alerts."""
    rules = rules or load_rules(settings.alert_rules or None)
    sinks = sinks_from_settings(settings) if sinks is None else sinks
    new = evaluate(store, rules, sinks=sinks, recent=True, min_confidence=settings.min_confidence)
    deliver(store, sinks)
    return new
