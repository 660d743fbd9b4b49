"""Escalation detection: the statistics, the rules file, alerts from coded news, and delivery."""

import io
import json
import math
import random
import threading
from decimal import Decimal, getcontext
from fractions import Fraction
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import numpy as np
import pytest
from typer.testing import CliRunner

from powderkeg.alerts import (
    ConsoleSink,
    JsonlSink,
    Params,
    RulesError,
    Signal,
    WebhookSink,
    deliver,
    detect,
    dispersion_se,
    episodes,
    evaluate,
    evaluate_and_deliver,
    load_rules,
    nb_log_mid_p,
    nb_log_mid_p_predictive,
    nb_upper_tail,
    rules_for,
    scan,
    sinks_from_settings,
    stored_alerts,
)
from powderkeg.cli import app
from powderkeg.config import Settings
from powderkeg.model import Actor, Article, Event
from powderkeg.store import open_store

runner = CliRunner()

# -- the statistics ----------------------------------------------------------------------------------


def test_poisson_upper_tail_matches_exact_arithmetic():
    getcontext().prec = 60
    for mean, k in ((1, 10), (3, 12), (0.5, 4), (20, 45)):
        m = Fraction(mean).limit_denominator()
        partial = sum(m**j / math.factorial(j) for j in range(k))  # exact sum of m^j / j!
        exact = 1 - Decimal(partial.numerator) / Decimal(partial.denominator) * (-Decimal(str(mean))).exp()
        assert nb_upper_tail(k, mean, 0.0) == pytest.approx(float(exact), rel=1e-9)


def test_negative_binomial_upper_tail_matches_exact_arithmetic():
    # size r = 2 (dispersion 0.5) with mean 1: p = r / (r + mean) = 2/3, pmf(k) = (k + 1) p^2 q^k
    p, q = Fraction(2, 3), Fraction(1, 3)
    for k in (1, 3, 8, 25, 60):
        exact = 1 - sum((j + 1) * p**2 * q**j for j in range(k))
        assert nb_upper_tail(k, 1.0, 0.5) == pytest.approx(float(exact), rel=1e-9)
    assert nb_upper_tail(0, 5.0, 0.3) == 1.0
    assert nb_upper_tail(200, 10.0, 0.1) < nb_upper_tail(100, 10.0, 0.1) < nb_upper_tail(100, 10.0, 0.5)


def test_mid_p_is_the_average_of_the_two_upper_tails():
    # Poisson mean 2: P(Y >= 5) and P(Y >= 6) from exact arithmetic
    def at_least(k: int) -> float:
        return 1 - sum(2.0**j / math.factorial(j) for j in range(k)) * math.exp(-2.0)

    assert math.exp(nb_log_mid_p(5, 2.0, 0.0)) == pytest.approx((at_least(5) + at_least(6)) / 2, rel=1e-9)
    for k, mean, phi in ((3, 0.5, 0.0), (12, 5.0, 0.3), (40, 20.0, 0.1)):
        mid = math.exp(nb_log_mid_p(k, mean, phi))
        assert nb_upper_tail(k + 1, mean, phi) < mid < nb_upper_tail(k, mean, phi)


def _direct_predictive_mid_p(k: int, mean: float, phi: float, mean_var: float, phi_se: float) -> float:
    """The predictive mid-p by brute force: pmf sums on a fine grid of log-normal means and normal
    phis (negative phis used as 0 with their deficit taken off the mean's variance)."""
    z = np.linspace(-7, 7, 561)
    dens = np.exp(-z * z / 2)
    dens /= dens.sum()
    total = 0.0
    for zp, wp in zip(z if phi_se else [0.0], dens if phi_se else [1.0], strict=True):
        f = phi + phi_se * zp
        var = max(mean_var + min(f, 0.0), 0.0)
        s2 = math.log1p(var)
        for zm, wm in zip(z if var else [0.0], dens if var else [1.0], strict=True):
            m = mean * math.exp(math.sqrt(s2) * zm - s2 / 2)
            r = 1 / max(f, 0.0) if f > 0 else None
            pmf = [
                math.exp(j * math.log(m) - m - math.lgamma(j + 1)) if r is None else
                math.exp(math.lgamma(j + r) - math.lgamma(r) - math.lgamma(j + 1) + r * math.log(r / (r + m))
                         + j * math.log(m / (r + m)))
                for j in range(k + 1)
            ]  # fmt: skip
            total += wp * wm * (1 - sum(pmf[:k]) - pmf[k] / 2)
    return total


@pytest.mark.parametrize(
    ("k", "mean", "phi", "mean_var", "phi_se"),
    [(12, 4.0, 0.0, 0.03, 0.0), (60, 20.0, 0.3, 0.02, 0.06), (9, 2.0, 0.02, 0.04, 0.07), (6, 1.0, 0.1, 0.0, 0.2)],
)
def test_predictive_mid_p_matches_direct_integration(k, mean, phi, mean_var, phi_se):
    direct = _direct_predictive_mid_p(k, mean, phi, mean_var, phi_se)
    # many quadrature nodes: the same integral (up to the kink at phi 0); the default 3 nodes: close to it
    many = math.exp(nb_log_mid_p_predictive(k, mean, phi, mean_var, phi_se, nodes=40))
    assert many == pytest.approx(direct, rel=5e-3)
    assert math.exp(nb_log_mid_p_predictive(k, mean, phi, mean_var, phi_se)) == pytest.approx(direct, rel=0.15)


def test_predictive_mid_p_reduces_to_the_plain_one_and_cuts_off_soundly():
    assert nb_log_mid_p_predictive(7, 3.0, 0.2, 0.0, 0.0) == pytest.approx(nb_log_mid_p(7, 3.0, 0.2), rel=1e-12)
    # a phi below 0 with its whole deficit taken off the mean's variance: plain Poisson
    assert nb_log_mid_p_predictive(7, 3.0, -0.05, 0.05, 0.0) == pytest.approx(nb_log_mid_p(7, 3.0, 0.0), rel=1e-12)
    # averaging over the uncertainty makes a far-out count less surprising than the plug-in
    assert nb_log_mid_p_predictive(70, 20.0, 0.3, 0.02, 0.05) > nb_log_mid_p(70, 20.0, 0.3)
    # the cut-off returns a lower bound of the full value that is above the cut-off, or the full value
    for k in (5, 30, 80):
        full = nb_log_mid_p_predictive(k, 20.0, 0.3, 0.02, 0.05)
        cut = nb_log_mid_p_predictive(k, 20.0, 0.3, 0.02, 0.05, log_cutoff=math.log(1e-3))
        assert cut == full or math.log(1e-3) < cut <= full


def test_predictive_test_keeps_its_level_with_an_estimated_mean():
    # NB days (mean 20, phi 0.3, known phi), the mean estimated from 56 days: the share of next days
    # with a predictive mid-p <= 0.01 is near 0.01, and below that of the plug-in with the mean's
    # error added as dispersion (which is too often: about 1.1 times at 0.01, more further out)
    rng = np.random.default_rng(4)
    n = 12000
    days = rng.poisson(rng.gamma(1 / 0.3, 20 * 0.3, size=(n, 57)))
    hits = plug_in = 0
    for row in days:
        level = row[:56].mean()
        mean_var = 0.3 / 56 + 1 / row[:56].sum()
        hits += nb_log_mid_p_predictive(int(row[56]), level, 0.3, mean_var, 0.0) <= math.log(0.01)
        plug_in += nb_log_mid_p(int(row[56]), level, 0.3 + mean_var) <= math.log(0.01)
    assert 0.0075 < hits / n < 0.0135
    assert hits <= plug_in


@pytest.mark.parametrize(("mean", "phi"), [(5.0, 0.0), (5.0, 0.3), (20.0, 0.3)])
def test_dispersion_standard_error_matches_simulated_estimates(mean, phi):
    # the spread of moment estimates of phi over many simulated 112-day histories
    rng = np.random.default_rng(2)
    days = 112
    rate = rng.gamma(1 / phi, mean * phi, size=(4000, days)) if phi else np.full((4000, days), mean)
    y = rng.poisson(rate)
    m, v = y.mean(axis=1), y.var(axis=1, ddof=1)
    estimates = (v - m) / m**2
    assert float(dispersion_se(phi, mean, days)) == pytest.approx(estimates.std(), rel=0.06)


def test_a_longer_clean_baseline_keeps_power_and_false_alarms_in_budget():
    # over-dispersed busy dyad (phi 0.1, 20 a day): 20 stable years give few alerts, and a tripling
    # is found within two days in most of 40 trials
    rng = np.random.default_rng(9)
    params = Params()
    alarms = 0
    for _ in range(20):
        counts = rng.poisson(rng.gamma(10.0, 2.0, size=455))
        alarms += len(episodes(scan(counts, 0, params, first_end=90), params.cooldown_days))
    assert alarms <= 20 * 2
    found = 0
    for _ in range(40):
        mean = np.full(104, 20.0)
        mean[90:] = 60.0
        signals = scan(rng.poisson(rng.gamma(10.0, mean / 10.0)), 0, params, first_end=90)
        found += bool(signals) and signals[0].end <= 91
    assert found >= 30


def poisson_series(rate: np.ndarray, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).poisson(rate)


def test_a_tripling_is_flagged_within_two_days_and_a_stable_series_is_quiet():
    params = Params()
    quiet = poisson_series(np.full(400, 10.0), seed=3)
    # 365 tested days of a stable series: within the budget of 1 false alarm per dyad-year
    assert len(episodes(scan(quiet, 0, params, first_end=35), params.cooldown_days)) <= 1
    rate = np.full(120, 10.0)
    rate[100:] = 30.0
    signals = scan(poisson_series(rate, seed=4), 0, params, first_end=35)
    assert signals and 100 <= signals[0].end <= 101
    first = episodes(signals, params.cooldown_days)[0]
    assert first.observed > 2 * first.expected and first.p_value <= params.alpha
    assert 5 < first.level < 15


def test_weekday_effects_make_a_busy_saturday_surprising():
    # Monday to Friday about 12 events, weekends about 3; then a Saturday with 18
    weekday = np.array([12, 12, 12, 12, 12, 3, 3], dtype=float)
    counts = poisson_series(np.tile(weekday, 12), seed=5)
    counts[-2] = 18  # the last Saturday
    saturday = len(counts) - 2
    signals = [s for s in scan(counts, 0, Params(), first_end=saturday - 1) if s.end == saturday]
    assert signals and signals[0].expected < 6  # a Saturday's share of the week's level
    flat = Params(weekday_prior=1e9)  # weekday factors pinned to 1: Saturday looks like any day
    assert not any(s.end == saturday for s in scan(counts, 0, flat, first_end=saturday - 1))


def test_sparse_dyads_need_min_count_and_history():
    params = Params()
    counts = np.zeros(60)
    counts[50] = 2  # two events where there were none: below min_count
    assert scan(counts, 0, params) == []
    counts[50] = 6
    signals = scan(counts, 0, params)
    assert signals[0].end == 50 and all(s.start <= 50 <= s.end for s in signals)  # 1- and 2-day windows
    assert [(s.end, s.days) for s in episodes(signals, params.cooldown_days)] == [(50, 1)]
    early = np.zeros(30)
    early[10] = 20  # before min_history_days: nothing is tested
    assert scan(early, 0, params) == []


def test_episodes_fold_a_run_of_days_into_one_alert():
    def sig(end: int, log_p: float = -10.0, days: int = 1) -> Signal:
        return Signal(end, days, 10, 2.0, log_p, 2.0, 0.1)

    signals = [sig(10), sig(11, -20.0, 2), sig(11, -5.0), sig(12), sig(25)]
    kept = episodes(signals, cooldown_days=7)
    assert [s.end for s in kept] == [10, 25]
    assert [s.end for s in episodes(signals, 7, taken=[5])] == [25]  # folded into a stored alert
    assert [s.end for s in episodes(signals, 7, taken=[4])] == [12, 25]  # 12 is 8 days after it
    best_of_day = episodes([sig(11, -5.0), sig(11, -20.0, 2)], 7)
    assert best_of_day[0].days == 2


# -- the rules file ----------------------------------------------------------------------------------


def test_packaged_rules_load():
    rules = load_rules()
    assert rules.pairs and rules.pair_min_events >= 1
    assert rules.defaults == Params()  # the file states the code's defaults
    by_name = {r.name: r for r in rules.dyads}
    assert by_name["SRB-XKX"].dyad.label() == "SRB+@srb-XKX"
    assert by_name["kosovo-serbs-police"].params.measure == "material_conflict"
    assert by_name["kosovo-serbs-police"].params.alpha < rules.defaults.alpha


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("defaults: {alpah: 0.01}", "unknown setting 'alpah'"),
        ("defaults: {alpha: 2}", "alpha must be between 0 and 1"),
        ("defaults: {windows: [0]}", "windows"),
        ("defaults: {measure: fights}", "measure"),
        ("defaults: {measure: [ASSAULT, FIGHT]}", "FIGHT not PLOVER"),
        ("rules: []", "unknown section"),
        ("dyads: [{name: x, a: SRB}]", "give both sides"),
        ("dyads: [{name: SRB-XKX, alpha: 0.01}, {name: SRB-XKX}]", "used twice"),
        ("dyads: [{name: bad, a: SERBIA, b: XKX}]", "three-letter"),
        ("pairs: {min_events: 0}", "min_events"),
        ("defaults: [1, 2]", "mapping"),
        ("dyads: [{name: x, a: SRB, b: XKX, min_count: 2.5}]", "whole number"),
        ("defaults: {dispersion_margin: -1}", "dispersion_margin"),
    ],
)
def test_bad_rules_files_say_what_is_wrong(tmp_path, text, message):
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(RulesError, match=message) as info:
        load_rules(path)
    assert str(path) in str(info.value)


def test_a_pair_override_keeps_the_pair_and_changes_settings(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("defaults: {alpha: 1.0e-3}\ndyads:\n  - {name: ARM-AZE, measure: [ASSAULT, MOBILIZE]}\n")
    rules = load_rules(path)
    (rule,) = rules.dyads
    assert rule.dyad.label() == "ARM-AZE" and rule.params.measure == ("ASSAULT", "MOBILIZE")
    assert rule.params.alpha == 1e-3 and rule.params.windows == (1, 2)
    with pytest.raises(RulesError, match="no rules file"):
        load_rules(tmp_path / "missing.yaml")


# -- a synthetic store -------------------------------------------------------------------------------


def conflict_event(article_id: str, day: str, start: int, fatalities: int = 0) -> Event:
    event = Event(
        type="ASSAULT", mode=None, cameo="190", quad=4, intensity=-9.0, goldstein=-10.0,
        source=[Actor("Serbian gunmen", "SRBUAF", "SRB", "UAF")],
        target=[Actor("Kosovo police", "XKXCOP", "XKX", "COP")],
        sentence=f"Serbian gunmen attacked Kosovo police ({article_id}, {start}).", sentence_start=start,
        sentence_end=start + 50, rule="test", confidence=0.9, article_id=article_id, trigger="attacked", date=day,
        date_precision="day", fatalities=fatalities,
    )  # fmt: skip
    event.assign_id()
    return event


def fill(store, daily: list[int], first: str = "2024-01-01") -> None:
    from datetime import date, timedelta

    start = date.fromisoformat(first)
    for i, n in enumerate(daily):
        day = (start + timedelta(days=i)).isoformat()
        article_id = f"d{i}"
        events = [conflict_event(article_id, day, 60 * j, fatalities=int(j == 0 and n > 8)) for j in range(n)]
        article = Article(article_id, f"test:{i}", "x" * 10, url=f"https://example.org/{day}", published=None)
        store.save(article, (), events)


@pytest.fixture
def surge_db(tmp_path: Path) -> Path:
    """40 days of about two Serbia-Kosovo attacks a day, then 14 on the last day."""
    rng = random.Random(2)
    db = tmp_path / "surge.duckdb"
    with open_store(db) as store:
        fill(store, [rng.choice([1, 2, 2, 3]) for _ in range(40)] + [14])
    return db


def test_detect_stores_once_and_cites_the_events(surge_db):
    rules = load_rules()
    with open_store(surge_db) as store:
        found = detect(store, rules)
        assert [(a.rule, a.window_end.isoformat()) for a in found] == [("SRB-XKX", "2024-02-10")]
        alert = found[0]
        assert alert.observed == 14 and alert.expected < 4 and alert.p_value <= rules.defaults.alpha
        assert alert.score == pytest.approx(-math.log10(alert.p_value), abs=0.05)
        assert alert.baseline["test"] == "predictive negative binomial, upper-tail mid-p"
        assert alert.events[0]["fatalities"] == 1 and alert.events[0]["url"] == "https://example.org/2024-02-10"
        assert len(alert.events) == rules.defaults.top_events
        new = evaluate(store, rules)
        assert [a.alert_id for a in new] == [alert.alert_id]
        assert evaluate(store, rules) == []  # the same data: nothing new
        stored = stored_alerts(store)
        assert [a.to_dict() for a in stored] == [new[0].to_dict()]
        # a later surprising day within the cooldown belongs to the stored alert
        fill(store, [16], first="2024-02-11")
        assert evaluate(store, rules) == []


def test_alerts_command_detects_and_lists(surge_db, tmp_path):
    jsonl = tmp_path / "alerts.jsonl"
    env = {"POWDERKEG_ALERTS_JSONL": str(jsonl)}
    result = runner.invoke(app, ["alerts", "--db", str(surge_db), "--detect", "--deliver"], env=env)
    assert result.exit_code == 0, result.output
    assert "1 new alert(s)" in result.output and "SRB-XKX" in result.stdout and "2024-02-10" in result.stdout
    assert [json.loads(line)["rule"] for line in jsonl.read_text().splitlines()] == ["SRB-XKX"]
    again = runner.invoke(app, ["alerts", "--db", str(surge_db), "--detect", "--deliver"], env=env)
    assert "0 new alert(s)" in again.output
    assert len(jsonl.read_text().splitlines()) == 1
    listed = runner.invoke(app, ["alerts", "--db", str(surge_db), "--format", "json"])
    (alert,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert alert["dyad"] == "SRB+@srb-XKX" and alert["observed"] == 14 and alert["events"][0]["sentence"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("defaults: {alpha: -1}")
    result = runner.invoke(app, ["alerts", "--db", str(surge_db), "--detect", "--rules", str(bad)])
    assert result.exit_code == 1 and "alpha" in result.output


# -- delivery ------------------------------------------------------------------------------------------


class Receiver:
    """A webhook receiver on 127.0.0.1 that answers 500 to its first ``fail_first`` requests."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.requests = 0
        self.accepted: list[dict] = []
        self.keys: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests += 1
                if receiver.requests <= receiver.fail_first:
                    self.send_response(500)
                    self.end_headers()
                    return
                receiver.accepted.append(json.loads(body))
                receiver.keys.append(self.headers["Idempotency-Key"])
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_webhook_receives_each_alert_once_after_a_failed_first_attempt(surge_db, tmp_path):
    with Receiver(fail_first=1) as receiver, open_store(surge_db) as store:
        stream = io.StringIO()
        sinks = [
            ConsoleSink(stream),
            JsonlSink(tmp_path / "a.jsonl"),
            WebhookSink(receiver.url, retries=2, backoff=0.01),
        ]
        new = evaluate_and_deliver(store, Settings(), sinks)
        assert len(new) == 1
        assert receiver.requests == 2  # the 500, then the retry
        assert [a["alert_id"] for a in receiver.accepted] == [new[0].alert_id]
        assert receiver.keys == [new[0].alert_id]
        assert evaluate_and_deliver(store, Settings(), sinks) == []
        assert len(receiver.accepted) == 1 and receiver.requests == 2
        assert stream.getvalue().count("ALERT SRB-XKX") == 1 and "https://example.org/2024-02-10" in stream.getvalue()
        assert len((tmp_path / "a.jsonl").read_text().splitlines()) == 1


def test_a_failed_delivery_round_is_retried_on_the_next_poll_only(surge_db):
    with Receiver(fail_first=1) as receiver, open_store(surge_db) as store:
        sinks = [WebhookSink(receiver.url, retries=0, backoff=0.01)]
        new = evaluate_and_deliver(store, Settings(), sinks)
        assert len(new) == 1 and receiver.requests == 1 and receiver.accepted == []
        status = store.con.execute("SELECT status, attempts, last_error FROM alert_deliveries").fetchall()
        assert status == [("pending", 1, f"{receiver.url}: HTTP 500 after 1 attempt(s)")]
        assert evaluate_and_deliver(store, Settings(), sinks) == []  # no new alert, but the queued one goes out
        assert [a["alert_id"] for a in receiver.accepted] == [new[0].alert_id]
        evaluate_and_deliver(store, Settings(), sinks)
        assert receiver.requests == 2 and len(receiver.accepted) == 1


def test_a_refusing_webhook_is_not_retried(surge_db):
    calls = []

    def refuse(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(400)

    sink = WebhookSink("http://127.0.0.1:9/hook", retries=3, backoff=0.01,
                       client=httpx.Client(transport=httpx.MockTransport(refuse)))  # fmt: skip
    with open_store(surge_db) as store:
        evaluate_and_deliver(store, Settings(), [sink])
        assert store.con.execute("SELECT status, attempts FROM alert_deliveries").fetchall() == [("failed", 1)]
        report = deliver(store, [sink])
    assert report.delivered == 0 and report.failed == [] and len(calls) == 1


def test_settings_name_the_rules_file_and_sinks(surge_db, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("pairs: {enabled: false}\ndyads:\n  - {name: strict, a: SRB, b: XKX, alpha: 1.0e-30}\n")
    settings = Settings(alert_rules=str(rules), alerts_jsonl=str(tmp_path / "out.jsonl"))
    with open_store(surge_db) as store:
        assert [r.name for r in rules_for(store, load_rules(rules), *store_span(store))] == ["strict"]
        assert evaluate_and_deliver(store, settings, sinks=None) == []  # 14 vs ~2 is not p < 1e-30
    loose = tmp_path / "loose.yaml"
    loose.write_text("pairs: {enabled: false}\ndyads:\n  - {name: loose, a: SRB, b: XKX}\n")
    with open_store(surge_db) as store:
        new = evaluate_and_deliver(store, Settings(alert_rules=str(loose), alerts_jsonl=str(tmp_path / "out.jsonl")),
                                   sinks=[JsonlSink(tmp_path / "out.jsonl")])  # fmt: skip
    assert [json.loads(line)["rule"] for line in (tmp_path / "out.jsonl").read_text().splitlines()] == ["loose"]
    assert [a.rule for a in new] == ["loose"]


def store_span(store):
    from powderkeg.series import data_span

    return data_span(store)


# -- from news text to an alert ----------------------------------------------------------------------

QUIET_COOPERATION = [
    "Kosovo Prime Minister Albin Kurti met Serbian President Aleksandar Vucic in Brussels.",
    "Serbia and Kosovo agreed to implement the deal on vehicle licence plates.",
    "Serbian officials praised Kosovo authorities for reopening the border crossing at Jarinje.",
    "Kosovo and Serbia signed an agreement on energy cooperation.",
    "Kosovo thanked Serbia for returning the remains of missing persons.",
]
QUIET_CONFLICT = [
    "Serbian President Aleksandar Vucic criticised the Kosovo government.",
    "Kosovo accused Serbia of spreading disinformation.",
    "Serbia condemned Kosovo for the arrest of a Serbian official.",
    "Kosovo police arrested a Serbian citizen near the border.",
]
CLASHES = [
    "Ethnic Serb protesters clashed with Kosovo police in Zvecan on {weekday}, injuring five officers.",
    "Serbian gunmen attacked Kosovo police officers near Banjska on {weekday}, killing one officer.",
    "Kosovo police fired tear gas at Serb protesters in Leposavic.",
    "Serbs threw stones and stun grenades at Kosovo police in Zubin Potok.",
    "Masked Serb men set fire to a Kosovo police vehicle in Mitrovica.",
    "Kosovo police shot and wounded a Serb man at a checkpoint in Zubin Potok.",
    "Serb protesters attacked Kosovo police with bottles and petrol bombs in Zvecan.",
    "Serb rioters beat two Kosovo police officers in Leposavic.",
    "Kosovo police clashed with Serb demonstrators in Zvecan.",
]
REPORTERS = ["Fatos Bytyci", "Ivana Sekularac", "Aleksandar Vasovic", "Florion Goga"]
FIRST_DAY = "2024-01-01"
QUIET_DAYS = 60


def news(seed: int = 11) -> list[dict]:
    """Fictional Serbia-Kosovo reports: 60 quiet days (one or two reports a day of 3-4 sentences,
    mostly diplomacy with some accusations and arrests), then two days of clashes."""
    from datetime import date, timedelta

    rng = random.Random(seed)
    records = []
    for d in range(QUIET_DAYS + 2):
        day = date.fromisoformat(FIRST_DAY) + timedelta(days=d)
        clash = d >= QUIET_DAYS
        n = rng.randint(3, 4) if clash else rng.choice([1, 2, 2]) - (day.weekday() >= 5 and rng.random() < 0.5)
        for i in range(max(n, 1)):
            if clash:
                picks = [*rng.sample(CLASHES, 3), rng.choice(QUIET_CONFLICT[:3])]
            else:
                size = rng.randint(3, 4)
                picks = [rng.choice(QUIET_CONFLICT if rng.random() < 0.35 else QUIET_COOPERATION) for _ in range(size)]
            text = " ".join(p.format(weekday=day.strftime("%A")) for p in picks)
            text += f" Reporting by {rng.choice(REPORTERS)} in Pristina, story {d}-{i}."
            records.append({"id": f"{d}-{i}", "text": text, "published": day.isoformat(), "title": f"Report {d}-{i}",
                            "url": f"https://news.example/kosovo/{day.isoformat()}/{i}"})  # fmt: skip
    return records


@pytest.fixture(scope="module")
def kosovo_db(pipeline, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("kosovo")
    source = folder / "reports.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in news()) + "\n", encoding="utf-8")
    db = folder / "kosovo.duckdb"
    with open_store(db) as store:
        report = pipeline.ingest([source], store)
    assert report.stored == len(news()) and not report.problems
    return db


def test_sixty_quiet_days_then_clashes_give_one_serbia_kosovo_alert(kosovo_db):
    from datetime import date, timedelta

    clash_days = {date.fromisoformat(FIRST_DAY) + timedelta(days=QUIET_DAYS + i) for i in range(2)}
    with open_store(kosovo_db) as store:
        rules = load_rules()
        srb_xkx = next(r for r in rules.dyads if r.name == "SRB-XKX")
        # the detector has a baseline: conflict events on most quiet days
        from powderkeg.series import measure_counts

        quiet = measure_counts(
            store, srb_xkx.dyad, "conflict", date.fromisoformat(FIRST_DAY), min(clash_days) - timedelta(days=1)
        )
        assert sum(1 for n in quiet if n) > QUIET_DAYS / 2 and max(quiet) < 8
        alerts = evaluate(store, rules)
    assert alerts, "no alert"
    assert all(a.window_end in clash_days for a in alerts), [a.summary() for a in alerts]  # quiet days: none
    ours = [a for a in alerts if a.rule == "SRB-XKX"]
    assert len(ours) == 1
    alert = ours[0]
    clash_sentences = {c.format(weekday=d.strftime("%A")) for c in CLASHES for d in clash_days}
    cited = [e for e in alert.events if e["sentence"] in clash_sentences]
    assert cited, [e["sentence"] for e in alert.events]
    assert all(e["url"].startswith("https://news.example/kosovo/") for e in cited)
    assert alert.observed >= 3 * alert.expected


def test_watch_evaluation_looks_only_at_the_last_days(tmp_path, monkeypatch):
    rng = random.Random(3)
    daily = [rng.choice([1, 2, 2, 3]) for _ in range(40)] + [15] + [rng.choice([1, 2, 2, 3]) for _ in range(10)]
    with open_store(tmp_path / "old-surge.duckdb") as store:
        fill(store, daily)
        assert evaluate_and_deliver(store, Settings(), sinks=[]) == []  # the surge is 10 days back
        assert [a.window_end.isoformat() for a in evaluate(store, load_rules())] == ["2024-02-10"]
    monkeypatch.setenv("POWDERKEG_WEBHOOKS", "http://127.0.0.1:8081/a, https://hooks.example/b")
    from powderkeg.config import load_settings

    settings = load_settings()
    assert settings.webhooks == ("http://127.0.0.1:8081/a", "https://hooks.example/b")
    names = [sink.name for sink in sinks_from_settings(settings)]
    assert names == ["console", "webhook:http://127.0.0.1:8081/a", "webhook:https://hooks.example/b"]


def test_watch_sends_alerts_after_each_poll_once(surge_db, tmp_path, monkeypatch):
    with Receiver(fail_first=1) as receiver:
        feeds = tmp_path / "feeds.txt"
        feeds.write_text(receiver.url.replace("/hook", "/feed.xml") + "\n")  # answers 501: an empty poll
        jsonl = tmp_path / "watch.jsonl"
        for name, value in {"webhooks": receiver.url, "alerts_jsonl": jsonl, "webhook_retries": 1,
                            "fetch_timeout": 0.5, "fetch_retries": 0, "host_delay": 0}.items():  # fmt: skip
            monkeypatch.setenv(f"POWDERKEG_{name.upper()}", str(value))
        args = ["watch", "--feeds", str(feeds), "--every", "1s", "--max-polls", "2", "--db", str(surge_db)]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    assert result.stdout.count("ALERT SRB-XKX") == 1 and "2024-02-10" in result.stdout
    assert len(jsonl.read_text().splitlines()) == 1
    assert len(receiver.accepted) == 1 and receiver.accepted[0]["rule"] == "SRB-XKX"
    assert "alerts not evaluated" not in result.output


def test_automatic_country_pairs_alert_like_a_named_dyad(surge_db, tmp_path):
    path = tmp_path / "pairs.yaml"
    path.write_text("pairs: {enabled: true, min_events: 5}\n")
    with open_store(surge_db) as store:
        found = detect(store, load_rules(path))
        named = detect(store, load_rules())
    assert [(a.rule, a.dyad, a.window_end.isoformat()) for a in found] == [("SRB-XKX", "SRB-XKX", "2024-02-10")]
    assert (found[0].observed, found[0].expected) == (named[0].observed, named[0].expected)
