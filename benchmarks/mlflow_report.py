"""What ``bench_mlflow.py`` prints, from its results; also prints a saved run again:

    python benchmarks/mlflow_report.py benchmarks/results/mlflow-2026-11-28k.json

Besides the figures and the per-round ratios, it sets modelreg's ratio to each mlflow target
beside the floor's: the floor answers with modelreg's bytes prepared in advance and stores
nothing (``canned_server.py``), so its ratio is the most any server could reach through this
client on this machine in this run. Where that ceiling is below the issue's target, no server
could meet the target here, however fast.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlflow_workload import Results, round_ratios


@dataclass(frozen=True)
class Goal:
    """A figure and the issue's targets for it: against mlflow as shipped, with one worker."""

    label: str
    key: str
    higher_is_better: bool
    shipped: float
    one_worker: float

    def value(self, figures: dict[str, Any]) -> float | None:
        found = figures.get(self.key)
        if isinstance(found, dict):
            found = found.get("p50_ms")
        return None if found is None else float(found)

    def ratio(self, ours: dict[str, Any], theirs: dict[str, Any]) -> float | None:
        mine, other = self.value(ours), self.value(theirs)
        if not mine or not other:
            return None
        return mine / other if self.higher_is_better else other / mine


# Issue 3: 5x mlflow as shipped on metadata calls, 2x with --workers 1; 2x on transfers.
GOALS = (
    Goal("create version", "create_version_ms", False, 5, 2),
    Goal("search versions at 10,000", "search_versions_100", False, 5, 2),
    Goal("search models", "search_models", False, 5, 2),
    Goal("alias lookup", "alias_lookup", False, 5, 2),
    Goal("upload", "upload_MBps", True, 2, 2),
    Goal("download", "download_MBps", True, 2, 2),
)
ROWS = (
    ("create version (per s)", "create_version_per_s", "{:.1f}"),
    ("create version (ms)", "create_version_ms", "{:.1f}"),
    ("search versions p50 (ms)", "search_versions_100", "{:.1f}"),
    ("search models p50 (ms)", "search_models", "{:.1f}"),
    ("alias lookup p50 (ms)", "alias_lookup", "{:.1f}"),
    ("upload (MB/s)", "upload_MBps", "{:.0f}"),
    ("download (MB/s)", "download_MBps", "{:.0f}"),
    ("  page-cache write (MB/s)", "page_cache_write_MBps", "{:.0f}"),
    ("  durable write (MB/s)", "durable_write_MBps", "{:.0f}"),
    ("server peak RSS (MiB)", "peak_rss_MiB", "{:.0f}"),
)


def print_table(all_results: list[Results]) -> None:
    print(f"{'':28}" + "".join(f"{r.target:>14}" for r in all_results))
    for label, key, shape in ROWS:
        cells = []
        for result in all_results:
            found = result.figures.get(key)
            if isinstance(found, dict):
                found = found.get("p50_ms")
            # The floor has no server memory of interest.
            cells.append(f"{'-' if found is None else shape.format(found):>14}")
        print(f"{label:28}" + "".join(cells))


def print_goals(all_results: list[Results]) -> None:
    """modelreg's whole-run ratio to each mlflow target, the floor's, and the verdict."""
    figures = {result.target: result.figures for result in all_results}
    if "modelreg" not in figures:
        return
    for theirs, one_worker in (("mlflow", False), ("mlflow-w1", True)):
        if theirs not in figures:
            continue
        print(f"\nmodelreg vs {theirs} (the floor's ratio: the most any server could reach):")
        for goal in GOALS:
            target = goal.one_worker if one_worker else goal.shipped
            ours = goal.ratio(figures["modelreg"], figures[theirs])
            ceiling = goal.ratio(figures["floor"], figures[theirs]) if "floor" in figures else None
            if ours is None:
                continue
            print(
                f"  {goal.label:28}{ours:6.1f}x  floor {_times(ceiling)}  target {target:g}x: "
                f"{verdict(ours, ceiling, target)}"
            )


def verdict(ours: float, ceiling: float | None, target: float) -> str:
    if ours >= target:
        return "met"
    if ceiling is not None and ceiling < target:
        return "not met; beyond any server here"
    return "not met"


def print_round_ratios(all_results: list[Results]) -> None:
    """modelreg against each mlflow target, round by round (interleaved runs only), with the
    floor's median over the same rounds."""
    figures = {result.target: result.figures for result in all_results}
    if "modelreg" not in figures:
        return
    for theirs in ("mlflow", "mlflow-w1"):
        ratios = round_ratios(figures, "modelreg", theirs) if theirs in figures else {}
        if not ratios:
            continue
        floors = round_ratios(figures, "floor", theirs) if "floor" in figures else {}
        print(f"\nmodelreg vs {theirs}, per round (lowest / median / highest; floor median):")
        for key, (low, middle, high) in ratios.items():
            floor = floors.get(key)
            print(
                f"  {key:28}{low:6.1f}x {middle:6.1f}x {high:6.1f}x  "
                f"{_times(floor[1] if floor else None)}"
            )


def report(all_results: list[Results]) -> None:
    print_table(all_results)
    print_goals(all_results)
    print_round_ratios(all_results)


def _times(ratio: float | None) -> str:
    return f"{ratio:5.1f}x" if ratio is not None else "    -"


def load(path: Path) -> list[Results]:
    return [Results(**entry) for entry in json.loads(path.read_text())]


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} RESULTS.json")
    report(load(Path(sys.argv[1])))
