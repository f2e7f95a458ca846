"""``manage.py train_recsys``: train, evaluate, gate and promote a recommender version."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from recsys.models import ModelVersion
from recsys.registry import TrainingAlreadyRunning, model_version_train
from recsys.selectors import model_version_active

# recall@k: standard (hits / held-out items); recall_norm@k: hits / min(k, held-out items).
_METRIC_ORDER = ("recall@10", "recall@20", "recall_norm@20", "ndcg@10", "ndcg@20", "coverage@20")


class Command(BaseCommand):
    help = "Train a recommender version on the database's interactions; promote it if it is not worse."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="promote even if worse than the active version"
        )
        parser.add_argument(
            "--if-none", action="store_true", help="do nothing when a version is already active"
        )
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--ablation",
            action="store_true",
            help="also measure the pipeline without each channel, the ranker and the re-rank",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        active = model_version_active()
        if options["if_none"] and active is not None:
            self.stdout.write(f"model version {active.version} is active; nothing to do (--if-none)")
            return
        started = time.perf_counter()

        def progress(message: str) -> None:
            self.stdout.write(f"[{time.perf_counter() - started:7.1f}s] {message}")
            self.stdout.flush()

        try:
            train_fn = None
            if options["ablation"]:
                from functools import partial

                from recsys.pipeline.train import train_bundle

                train_fn = partial(train_bundle, ablation=True)
            model_version = model_version_train(
                force=options["force"], seed=options["seed"], progress=progress, train_fn=train_fn
            )
        except TrainingAlreadyRunning as exc:
            raise CommandError(exc.message) from exc
        self._summary(model_version)
        if model_version.status == ModelVersion.Status.FAILED:
            first_line = model_version.error.splitlines()[0] if model_version.error else "unknown error"
            raise CommandError(f"training failed: {first_line}")

    def _summary(self, mv: ModelVersion) -> None:
        out = self.stdout
        out.write("")
        out.write(f"version {mv.version}: {mv.status}  {mv.gate}")
        if mv.timings:
            out.write("stage timings (s):")
            for stage, seconds in mv.timings.items():
                out.write(f"  {stage:<24}{float(seconds):9.1f}")
        if mv.metrics:
            out.write(f"{'model':<16}" + "".join(f"{m:>13}" for m in _METRIC_ORDER))
            for model, values in mv.metrics.items():
                cells = "".join(
                    f"{values[m]:>13.4f}" if isinstance(values.get(m), int | float) else f"{'-':>13}"
                    for m in _METRIC_ORDER
                )
                out.write(f"{model:<16}{cells}")
        ablation = (mv.extra or {}).get("ablation")
        if isinstance(ablation, dict) and ablation:
            out.write("ablation (a sample of test users):")
            for row, values in ablation.items():
                cells = "".join(
                    f"{values[m]:>13.4f}" if isinstance(values.get(m), int | float) else f"{'-':>13}"
                    for m in _METRIC_ORDER
                )
                out.write(f"  {row:<40}{cells}")
        if mv.primary_metric is not None:
            out.write(f"primary metric ({mv.primary_metric_name}): {mv.primary_metric:.4f}")
