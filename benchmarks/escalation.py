"""Escalation detection on simulated dyads: detection delay for injected rises, false alarms on
stable baselines.

Each simulated dyad has daily conflict-event counts drawn from a negative binomial with a given
mean rate, over-dispersion (variance = mu + phi * mu^2) and weekday effects (fewer reports at the
weekend). The detector is the one powderkeg ships (``powderkeg.alerts.scan`` and ``episodes``)
with the settings of the packaged rules file, unless overridden on the command line.

* False alarms: ``--years`` stable dyad-years per (rate, phi), each after 90 days of history;
  alerts (after the cooldown merges runs of surprising days) per dyad-year.
* Delay: ``--trials`` dyads per (rate, phi, rise) whose mean is multiplied by the rise from day 90
  for 14 days; the delay is the first surprising window's last day minus the rise's first day
  (0 = flagged on the first day of the rise). "within 2 days" = delay 0 or 1.

    python benchmarks/escalation.py [--years 500] [--trials 400] [--seed 7] [--alpha A] [--write]
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
from report import write_section

from powderkeg.alerts import Params, episodes, load_rules, scan

ROOT = Path(__file__).resolve().parent.parent
RATES = (0.5, 2.0, 5.0, 20.0)
DISPERSIONS = (0.0, 0.1, 0.3)
RISES = (1.5, 2.0, 3.0, 5.0)
WEEKDAY = np.array([1.15, 1.15, 1.1, 1.1, 1.05, 0.7, 0.75])  # Monday first: fewer reports at the weekend
HISTORY = 90  # days before the evaluated year or the rise
RISE_DAYS = 14


def simulate(rng: np.random.Generator, rate: float, phi: float, days: int, multiplier: np.ndarray) -> np.ndarray:
    """Negative-binomial counts with mean rate * weekday factor * multiplier (gamma-Poisson)."""
    weekday = WEEKDAY / WEEKDAY.mean()
    mean = rate * weekday[np.arange(days) % 7] * multiplier
    if phi <= 0:
        return rng.poisson(mean)
    return rng.poisson(rng.gamma(1.0 / phi, mean * phi))


def false_alarms(rng: np.random.Generator, params: Params, rate: float, phi: float, years: int) -> float:
    alarms = 0
    days = HISTORY + 365
    for _ in range(years):
        counts = simulate(rng, rate, phi, days, np.ones(days))
        alarms += len(episodes(scan(counts, 0, params, first_end=HISTORY), params.cooldown_days))
    return alarms / years


def delays(rng: np.random.Generator, params: Params, rate: float, phi: float, rise: float, trials: int) -> list[int]:
    """First-flag delay per trial; RISE_DAYS when not flagged during the rise."""
    days = HISTORY + RISE_DAYS
    multiplier = np.ones(days)
    multiplier[HISTORY:] = rise
    out = []
    for _ in range(trials):
        counts = simulate(rng, rate, phi, days, multiplier)
        signals = scan(counts, 0, params, first_end=HISTORY)
        out.append(signals[0].end - HISTORY if signals else RISE_DAYS)
    return out


def run(params: Params, years: int, trials: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    fa: dict[tuple[float, float], float] = {}
    detection: dict[tuple[float, float, float], list[int]] = {}
    for phi in DISPERSIONS:
        for rate in RATES:
            fa[rate, phi] = false_alarms(rng, params, rate, phi, years)
            for rise in RISES:
                detection[rate, phi, rise] = delays(rng, params, rate, phi, rise, trials)
    return {"fa": fa, "detection": detection}


def _delay_cell(values: list[int]) -> str:
    within2 = sum(v <= 1 for v in values) / len(values)
    found = [v for v in values if v < RISE_DAYS]
    median = f"{statistics.median(found):.0f}" if found else "-"
    return f"{within2:.0%} / {len(found) / len(values):.0%} / {median}"


def render(result: dict, params: Params, years: int, trials: int, seed: int, seconds: float) -> str:
    lines = [
        "## Escalation detection on simulated dyads",
        "",
        f"Measured {date.today().isoformat()} with `python benchmarks/escalation.py --write` "
        f"(seed {seed}, {years} stable dyad-years and {trials} rises per cell, {seconds:.0f} s).",
        "",
        f"Detector settings: alpha {params.alpha:g}, windows {list(params.windows)} days, baseline "
        f"{params.baseline_days} days, weekday/dispersion history {params.weekday_days} days, weekday prior "
        f"{params.weekday_prior:g} events, min_ratio "
        f"{params.min_ratio:g}, min_count {params.min_count}, min_expected {params.min_expected:g}/day, "
        f"dispersion_min {params.dispersion_min:g}, cooldown {params.cooldown_days} days.",
        "",
        "Simulated counts: negative binomial with the given mean events/day and over-dispersion phi "
        "(variance = mu + phi mu^2), weekday factors "
        + ", ".join(f"{w:.2f}" for w in WEEKDAY / WEEKDAY.mean())
        + f" (Monday first); {HISTORY} days of history before the evaluated year or the rise; a rise "
        f"multiplies the mean for {RISE_DAYS} days.",
        "",
        "### False alarms per dyad-year (stable baseline)",
        "",
        "Alerts in 365 days of a stable series, after the cooldown folds runs of surprising days into one.",
        "",
        "| events/day | " + " | ".join(f"phi {phi:g}" for phi in DISPERSIONS) + " |",
        "|---|" + "---|" * len(DISPERSIONS),
    ]
    for rate in RATES:
        lines.append(f"| {rate:g} | " + " | ".join(f"{result['fa'][rate, phi]:.2f}" for phi in DISPERSIONS) + " |")
    lines += [
        "",
        "### Detection of rises",
        "",
        "Each cell: share flagged within 2 days (on the first or second day of the rise) / share "
        f"flagged within {RISE_DAYS} days / median delay in days of those flagged (0 = the first day).",
        "",
    ]
    for phi in DISPERSIONS:
        lines += [
            f"phi {phi:g}:",
            "",
            "| events/day | " + " | ".join(f"x{rise:g}" for rise in RISES) + " |",
            "|---|" + "---|" * len(RISES),
        ]
        for rate in RATES:
            cells = [_delay_cell(result["detection"][rate, phi, rise]) for rise in RISES]
            lines.append(f"| {rate:g} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=500, help="stable dyad-years per (rate, phi)")
    parser.add_argument("--trials", type=int, default=400, help="rises per (rate, phi, size)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rules", type=Path, default=None, help="rules file whose defaults are measured")
    parser.add_argument("--alpha", type=float, default=None, help="override alpha")
    parser.add_argument("--dispersion-min", type=float, default=None, help="override dispersion_min")
    parser.add_argument("--weekday-prior", type=float, default=None, help="override weekday_prior")
    parser.add_argument("--write", action="store_true", help="write the results into docs/evaluation.md")
    args = parser.parse_args()

    params = load_rules(args.rules).defaults
    if args.alpha is not None:
        params = replace(params, alpha=args.alpha)
    if args.dispersion_min is not None:
        params = replace(params, dispersion_min=args.dispersion_min)
    if args.weekday_prior is not None:
        params = replace(params, weekday_prior=args.weekday_prior)
    start = time.perf_counter()
    result = run(params, args.years, args.trials, args.seed)
    text = render(result, params, args.years, args.trials, args.seed, time.perf_counter() - start)
    print(text)
    if args.write:
        path = write_section("evaluation.md", "escalation", text)
        print(f"\nwrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
