"""``manage.py evaluate_recsys``: the offline evaluation table for every model, in one run.

Without files: the database's interactions, split 80/20 per user with ``--seed``. With
``--train FILE --test FILE``: an external data set (``user item item ...`` lines or CSV
``user,item[,rating[,timestamp]]``, see :mod:`recsys.pipeline.files`). Writes ``<name>.json`` and
``<name>.png`` under ``--out`` (default ``var/eval/``) and prints the table.

``--cold-items``: the content channel for new anime on a held-out-items split instead
(:mod:`recsys.pipeline.content_eval`); writes ``cold-items.json`` and ``cold-items.png``.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from animesite.env import BASE_DIR
from recsys.pipeline.evaluation import format_table, write_evaluation


class Command(BaseCommand):
    help = (
        "Evaluate popularity, ItemKNN, EASE, DeepWalk and the full pipeline (Recall@10/20, NDCG@10/20, "
        "coverage) on a seeded split of the database, or on external train/test files."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--train", type=Path, help="external training file")
        parser.add_argument("--test", type=Path, help="external test file")
        parser.add_argument(
            "--format",
            choices=("auto", "lines", "csv"),
            default="auto",
            help="format of --train/--test: 'user item item ...' lines or CSV user,item[,rating[,timestamp]]",
        )
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--out", type=Path, default=None, help="output folder (default var/eval)")
        parser.add_argument(
            "--table", choices=("lines", "csv"), default="lines", help="how to print the table"
        )
        parser.add_argument(
            "--no-spark", action="store_true", help="build the item graph with numpy instead of Spark"
        )
        parser.add_argument(
            "--ablation",
            action="store_true",
            help="also measure the pipeline without each channel, the ranker and the re-rank",
        )
        parser.add_argument(
            "--cold-items",
            action="store_true",
            help="measure the content channel for new anime on a held-out-items split (vs popularity)",
        )
        parser.add_argument(
            "--max-users", type=int, default=800, help="--cold-items: users per part (seeded sample)"
        )
        parser.add_argument(
            "--as-new",
            action="store_true",
            help="--cold-items: hide only anime with tags or a synopsis and leave genres out, as new anime",
        )
        parser.add_argument(
            "--as-served",
            action="store_true",
            help=(
                "--cold-items: hide as --as-new, keep genres on the share of hidden anime that today's new "
                "anime have genres on, and tune every weight the channel serves"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from recsys.pipeline.train import run_evaluation

        train_file: Path | None = options["train"]
        test_file: Path | None = options["test"]
        if (train_file is None) != (test_file is None):
            raise CommandError("--train and --test go together")
        for path in (train_file, test_file):
            if path is not None and not path.is_file():
                raise CommandError(f"no such file: {path}")
        out_dir: Path = options["out"] or BASE_DIR / "var" / "eval"
        started = time.perf_counter()

        def progress(message: str) -> None:
            self.stdout.write(f"[{time.perf_counter() - started:7.1f}s] {message}")
            self.stdout.flush()

        if options["cold_items"]:
            if train_file is not None:
                raise CommandError("--cold-items reads the database and its catalogue, not files")
            if options["max_users"] <= 0:
                raise CommandError("--max-users must be positive")
            if options["as_new"] and options["as_served"]:
                raise CommandError("--as-new and --as-served are two different splits: choose one")
            self._cold_items(
                out_dir,
                seed=options["seed"],
                max_users=options["max_users"],
                as_new=options["as_new"],
                as_served=options["as_served"],
                progress=progress,
            )
            return

        work = Path(tempfile.mkdtemp(prefix="evaluate-recsys-"))
        timings: dict[str, float] = {}
        try:
            fixed_test = None
            if train_file is not None and test_file is not None:
                from recsys.pipeline.files import dataset_from_files

                dataset, fixed_test = dataset_from_files(train_file, test_file, options["format"])
                name = f"evaluation-{train_file.stem}"
                source = {"train": str(train_file), "test": str(test_file)}
            else:
                from recsys.pipeline.source import dataset_from_database

                start = time.perf_counter()
                dataset = dataset_from_database(export_dir=work / "export", progress=progress)
                timings["export"] = round(time.perf_counter() - start, 3)
                name = "evaluation"
                source = {"database": str(settings.DATABASES["default"].get("NAME", ""))}
            if dataset.n_rows == 0:
                raise CommandError("no interactions to evaluate")
            progress(f"{dataset.n_users} users, {dataset.n_items} items, {dataset.n_rows} rows")
            master = None if options["no_spark"] else str(settings.SPARK_MASTER)
            result = run_evaluation(
                dataset,
                progress=progress,
                seed=options["seed"],
                spark_master=master,
                work_dir=work,
                timings=timings,
                fixed_test=fixed_test,
                ablation=options["ablation"],
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)
        json_path, png_path = write_evaluation(
            out_dir,
            metrics=result.metrics,
            extra={
                "source": source,
                "seed": options["seed"],
                "timings": timings,
                "n_users": dataset.n_users,
                "n_items": dataset.n_items,
                "rows": dataset.n_rows,
                **{
                    k: v
                    for k, v in result.extra.items()
                    if k in {"split", "ease_tuning", "ranker_data", "ablation"}
                },
            },
            stem=name,
        )
        self.stdout.write("")
        self.stdout.write(format_table(result.metrics, options["table"]))
        self.stdout.write("")
        if "ablation" in result.extra:
            self.stdout.write("ablation (the same sample of test users):")
            self.stdout.write(format_table(result.extra["ablation"], options["table"]))
            self.stdout.write("")
        self.stdout.write("stage timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
        self.stdout.write(f"wrote {json_path} and {png_path}")

    def _cold_items(
        self, out_dir: Path, *, seed: int, max_users: int, as_new: bool, as_served: bool, progress: Any
    ) -> None:
        from recsys.pipeline.content import content_model_build
        from recsys.pipeline.content_eval import (
            cold_items_write,
            evaluate_cold_items,
            format_cold_table,
            liked_rows,
        )
        from recsys.pipeline.source import dataset_from_database
        from recsys.serving.new_anime import SERVING_WEIGHTS, content_docs, new_anime_genre_share

        work = Path(tempfile.mkdtemp(prefix="evaluate-cold-"))
        try:
            dataset = dataset_from_database(export_dir=work / "export", progress=progress)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if dataset.n_rows == 0:
            raise CommandError("no interactions to evaluate")
        progress(f"{dataset.n_users} users, {dataset.n_items} items, {dataset.n_rows} rows")
        start = time.perf_counter()
        model = content_model_build(content_docs(visible_only=False))
        progress(f"content features of {model.anime_ids.size} anime in {time.perf_counter() - start:.1f} s")
        genre_share = None
        if as_served:
            genre_share = new_anime_genre_share(model)
            progress(f"today's new anime with genres: {genre_share:.1%}")
        result = evaluate_cold_items(
            model=model,
            item_anime_ids=dataset.items.anime_ids.astype("int64"),
            user=dataset.user,
            item=dataset.item,
            liked=liked_rows(dataset),
            weight=dataset.weights(),
            popularity=dataset.items.members.astype("float64"),
            seed=seed,
            max_users=max_users,
            as_new=as_new,
            genre_share=genre_share,
            served_start=SERVING_WEIGHTS,
            progress=progress,
        )
        stem = "cold-items-as-new" if as_new else "cold-items-as-served" if as_served else "cold-items"
        json_path, png_path = cold_items_write(out_dir, result, stem=stem)
        self.stdout.write("")
        self.stdout.write(format_cold_table(result))
        self.stdout.write(f"wrote {json_path} and {png_path}")
