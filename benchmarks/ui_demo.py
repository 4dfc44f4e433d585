"""Shared by the UI scripts: a real ``modelreg server`` process, and a small demo registry.

Not a benchmark itself; ``ui_screenshots.py`` and ``bench_ui.py`` import it.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from modelreg import Client, Lineage

ENTRY = [sys.executable, "-c", "from modelreg.cli.main import main; main()"]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(home: Path, *, timeout: float = 60.0) -> Iterator[str]:
    """A ``modelreg server`` on a free local port over ``home``; yields its URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELREG_")}
    log = (home.parent / f"server-{port}.log").open("wb")
    process = subprocess.Popen(
        [*ENTRY, "server", "--host", "127.0.0.1", "--port", str(port), "--home", str(home)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited; see {log.name}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer within {timeout:.0f} s")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


FRAUD_DESCRIPTION = """\
Scores card transactions for fraud in real time.

- **Input**: 42 transaction and account features
- **Output**: fraud probability in [0, 1]
- **Serving**: p99 under 8 ms on one CPU core

See the model card below for data, evaluation and limits.
"""

FRAUD_CARD = """\
# Fraud detector

Gradient-boosted trees over transaction, merchant and account-history features.

## Training data

| split | rows | period |
|---|---|---|
| train | 48.2 M | 2025-01 … 2026-06 |
| validation | 6.1 M | 2026-07 … 2026-08 |

## Evaluation

Validated on held-out months; AUC and recall at 1 % false-positive rate are tracked per release.

## Limits

- Not calibrated for merchant categories launched after the training period.
- Retrain when the fraud mix drifts (monitored weekly).
"""

MODELS = [
    ("credit-scoring", "lending", "Probability of default for consumer loan applications."),
    ("churn-predictor", "growth", "Predicts subscription churn within 30 days."),
    ("sentiment-bert", "nlp", "Fine-tuned BERT for support-ticket sentiment."),
    ("image-classifier-resnet50", "vision", "Product photo categories (ResNet-50)."),
    ("demand-forecast", "supply", "Daily demand per store and product family."),
    ("search-ranker", "search", "Learning-to-rank model for catalogue search."),
    ("anomaly-detector", "platform", "Flags unusual infrastructure metrics."),
]


def seed_demo(registry_url: str, work: Path) -> None:
    """A registry worth looking at: one rich model and a handful of plain ones."""
    rng = random.Random(7)
    client = Client(registry_url, user="alice", cache_dir=work / "cache")
    client.create_model(
        "fraud-detector",
        description=FRAUD_DESCRIPTION,
        owner="risk-team",
        tags={"team": "risk", "domain": "payments", "tier": "critical"},
    )
    folder = work / "fraud"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.json").write_text('{"format": "xgboost", "features": 42}')
    (folder / "README.md").write_text(FRAUD_CARD)
    for number in range(1, 7):
        (folder / "weights.bin").write_bytes(rng.randbytes(40_000 + number * 9_000))
        client.push(
            "fraud-detector",
            folder,
            params={
                "learning_rate": [0.1, 0.1, 0.05, 0.05, 0.03, 0.03][number - 1],
                "max_depth": [6, 8, 8, 8, 10, 10][number - 1],
                "n_estimators": [200, 200, 400, 400, 800, 800][number - 1],
                "subsample": 0.8,
                "objective": "binary:logistic",
                "features": "v2" if number >= 4 else "v1",
            },
            metrics={
                "auc": round(0.89 + number * 0.007 + rng.uniform(-0.002, 0.002), 4),
                "recall_at_1pct_fpr": round(0.61 + number * 0.02, 3),
                "precision": round(0.80 + number * 0.01, 3),
                "latency_ms_p99": round(4.2 + number * 0.6, 1),
            },
            tags={"trained_on": f"2026-0{number}", "framework": "xgboost"},
            description=f"Retrained on data up to 2026-0{number}."
            + (" New feature set v2." if number == 4 else ""),
            lineage=Lineage(
                source_commit=f"{rng.getrandbits(40):010x}",
                source_url="https://git.example.com/risk/fraud/commit/abc",
                datasets=("s3://datasets/transactions/2026", "fraud-labels@v3"),
                parent_version=number - 1 if number > 1 else None,
                run_id=f"run-{1000 + number}",
            ),
        )
    client.set_alias("fraud-detector", "production", 5)
    client.set_alias("fraud-detector", "staging", 6)
    client.set_alias("fraud-detector", "champion", 5)
    for name, team, description in MODELS:
        client.create_model(
            name, description=description, owner=f"{team}-team", tags={"team": team}
        )
        plain = work / name
        plain.mkdir(parents=True, exist_ok=True)
        for _ in range(1, rng.randint(2, 5)):
            (plain / "model.bin").write_bytes(rng.randbytes(20_000))
            client.push(
                name,
                plain,
                params={"lr": rng.choice([0.01, 0.001]), "epochs": rng.choice([5, 10, 20])},
                metrics={"accuracy": round(rng.uniform(0.8, 0.95), 3)},
            )
        if rng.random() < 0.7:
            client.set_alias(name, "production", 1)
    client.close()
