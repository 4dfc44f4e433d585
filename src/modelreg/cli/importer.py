"""``modelreg import mlflow --from URI``: copy an MLflow registry into modelreg.

Every registered model, version, tag, description and alias, and each version's files, are read
through the MLflow server's REST API and written through the SDK, like any push. A version
also takes the numbers of the run that produced it (the run's params and latest metrics) and
its provenance (the run's ``mlflow.source.git.commit`` tag and the datasets it logged), so
"what were its numbers, code and data?" is answered by modelreg alone once the MLflow server is
gone. The copy is idempotent: each imported version carries the tags ``mlflow.import.server`` and
``mlflow.import.version``, so a second run finds what it already copied and transfers nothing.
Versions are copied in MLflow order; their modelreg numbers match MLflow's unless MLflow
versions were deleted (or modelreg already had versions), and aliases follow the mapping.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from modelreg.cli.context import target
from modelreg.cli.mlflow_source import MlflowServer, MlflowSourceError
from modelreg.cli.output import errors, print_json, print_table
from modelreg.client.client import Client
from modelreg.domain.entities import Lineage, ModelVersion
from modelreg.domain.errors import InvalidArgumentError, ModelNotFoundError, ModelregError
from modelreg.domain.provenance import RunProvenance, dataset_reference, provenance_of
from modelreg.domain.rules import (
    DEFAULT_LIMITS,
    number_refusal,
    validate_alias_name,
    validate_key,
    validate_model_name,
)

import_app = typer.Typer(help="Copy models from other registries.", no_args_is_help=True)

SERVER_TAG = "mlflow.import.server"
VERSION_TAG = "mlflow.import.version"
SOURCE_TAG = "mlflow.import.source"
NAME_TAG = "mlflow.import.name"  # the MLflow name of a model imported under another one


@dataclass
class Summary:
    models_created: int = 0
    models_updated: int = 0
    models_unchanged: int = 0
    versions_copied: int = 0
    versions_present: int = 0
    aliases_set: int = 0
    aliases_unchanged: int = 0
    stages_set: int = 0
    files: int = 0
    bytes: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)

    def skip(self, what: str, reason: str) -> None:
        self.skipped.append({"what": what, "reason": reason})


class Importer:
    def __init__(
        self,
        source: MlflowServer,
        client: Client,
        summary: Summary,
        renames: dict[str, str] | None = None,
    ) -> None:
        self.source = source
        self.client = client
        self.summary = summary
        self.renames = renames or {}

    def import_model(self, model: dict[str, Any], progress: Progress, task: Any) -> None:
        """Copy one MLflow model, under its own name or the one ``renames`` gives it."""
        original = model["name"]
        versions = self.source.versions(original)
        name = self.renames.get(original, original)
        try:
            validate_model_name(name)
        except ModelregError as error:
            hint = f"; import it under another name with --rename '{original}=<new name>'"
            self.summary.skip(f"model {original}", error.message + hint)
            progress.advance(task, len(versions))
            return
        tags = self._clean_tags(f"model {original}", model.get("tags", []))
        if name != original:
            tags[NAME_TAG] = original
        self._sync_model(name, model.get("description") or "", tags)
        mapping = self._imported_versions(name)
        for version in versions:
            number = str(version["version"])
            if number in mapping:
                self.summary.versions_present += 1
            else:
                try:
                    mapping[number] = self._copy_version(name, version)
                except (ModelregError, MlflowSourceError, OSError) as error:
                    self.summary.skip(f"version {name}/{number}", str(error))
            progress.advance(task)
        for alias in model.get("aliases", []):
            self._sync_alias(name, alias["alias"], str(alias["version"]), mapping)

    def _sync_model(self, name: str, description: str, tags: dict[str, str]) -> None:
        try:
            current = self.client.get_model(name)
        except ModelNotFoundError:
            self.client.create_model(name, description=description, tags=tags)
            self.summary.models_created += 1
            return
        changed = {k: v for k, v in tags.items() if current.tags.get(k) != v}
        if changed or current.description != description:
            self.client.update_model(name, description=description, set_tags=changed)
            self.summary.models_updated += 1
        else:
            self.summary.models_unchanged += 1

    def _imported_versions(self, name: str) -> dict[str, int]:
        """MLflow version number -> modelreg version number, for versions copied before."""
        return {
            v.tags[VERSION_TAG]: v.version
            for v in self.client.list_versions(name)
            if v.tags.get(SERVER_TAG) == self.source.uri and VERSION_TAG in v.tags
        }

    def _copy_version(self, name: str, version: dict[str, Any]) -> int:
        number = str(version["version"])
        tags = self._clean_tags(f"version {name}/{number}", version.get("tags", []))
        tags.update(
            {
                SERVER_TAG: self.source.uri,
                VERSION_TAG: number,
                SOURCE_TAG: version.get("source", ""),
            }
        )
        with tempfile.TemporaryDirectory(prefix="modelreg-import-") as scratch:
            folder = Path(scratch) / "files"
            folder.mkdir()
            # The MLflow name, which a --rename may differ from.
            count = self.source.download_version(version["name"], number, folder)
            if count == 0:
                raise MlflowSourceError("the version has no files")
            run_id = version.get("run_id") or None
            numbers = self._run_numbers(f"version {name}/{number}", run_id)
            pushed: ModelVersion = self.client.push(
                name,
                folder,
                params=numbers.params,
                metrics=numbers.metrics,
                tags=tags,
                description=version.get("description") or "",
                lineage=Lineage(
                    run_id=run_id,
                    source_commit=numbers.provenance.source_commit,
                    source_url=numbers.provenance.source_url,
                    datasets=numbers.provenance.datasets,
                ),
            )
        self.summary.versions_copied += 1
        self.summary.files += len(pushed.files)
        self.summary.bytes += pushed.size
        self._copy_stage(name, number, pushed.version, version.get("current_stage"))
        return pushed.version

    def _copy_stage(self, name: str, number: str, copied: int, stage: object) -> None:
        """MLflow code that loads ``models:/NAME/Production`` keeps working against modelreg.
        The stage is copied with the version; later changes in MLflow are not followed
        (stages are deprecated there; aliases, which are followed, replace them)."""
        if not isinstance(stage, str) or stage in ("", "None"):
            return
        try:
            self.client.set_mlflow_stage(name, copied, stage)
            self.summary.stages_set += 1
        except ModelregError as error:
            self.summary.skip(f"stage {stage} of version {name}/{number}", error.message)

    def _run_numbers(self, what: str, run_id: str | None) -> RunNumbers:
        """The params, latest metrics and provenance of the run behind a version. What
        modelreg cannot hold (a NaN metric, a key it does not accept, entries past its limit)
        is listed as skipped, and the version is copied without it."""
        numbers = RunNumbers()
        if run_id is None:
            return numbers
        try:
            run = self.source.call("GET", "runs/get", params={"run_id": run_id})["run"]
        except (MlflowSourceError, KeyError) as error:
            self.summary.skip(f"run {run_id} of {what}", f"params and metrics not copied: {error}")
            return numbers
        data = run.get("data") or {}
        for entry in data.get("params") or []:
            key, value = str(entry.get("key", "")), str(entry.get("value", ""))
            problem = number_refusal("param", key, value, len(numbers.params))
            if problem:
                self.summary.skip(f"param {key!r} of {what}", problem)
            else:
                numbers.params[key] = value
        for entry in data.get("metrics") or []:
            key, number = str(entry.get("key", "")), _number(entry.get("value"))
            shown = entry.get("value") if number is None else number
            problem = number_refusal("metric", key, shown, len(numbers.metrics))
            if problem or number is None:
                self.summary.skip(f"metric {key!r} of {what}", problem or "not a number")
            else:
                numbers.metrics[key] = number
        tags = {str(t.get("key")): str(t.get("value") or "") for t in data.get("tags") or []}
        inputs = (run.get("inputs") or {}).get("dataset_inputs") or []
        used = [_dataset_reference(item) for item in inputs if isinstance(item, dict)]
        numbers.provenance = provenance_of(tags, used, DEFAULT_LIMITS.datasets_per_version)
        return numbers

    def _sync_alias(self, name: str, alias: str, version: str, mapping: dict[str, int]) -> None:
        if version not in mapping:
            self.summary.skip(f"alias {name}@{alias}", f"version {version} was not imported")
            return
        try:
            validate_alias_name(alias)
            current = self.client.get_model(name).aliases.get(alias)
            if current == mapping[version]:
                self.summary.aliases_unchanged += 1
                return
            self.client.set_alias(name, alias, mapping[version])
            self.summary.aliases_set += 1
        except ModelregError as error:
            self.summary.skip(f"alias {name}@{alias}", error.message)

    def _clean_tags(self, what: str, entries: list[dict[str, Any]]) -> dict[str, str]:
        tags: dict[str, str] = {}
        for entry in entries:
            key, value = entry.get("key", ""), str(entry.get("value", ""))
            try:
                validate_key(key, "tag")
            except ModelregError as error:
                self.summary.skip(f"tag {key!r} of {what}", error.message)
                continue
            if len(value) > DEFAULT_LIMITS.tag_value_length:
                reason = f"value longer than {DEFAULT_LIMITS.tag_value_length} characters"
                self.summary.skip(f"tag {key!r} of {what}", reason)
                continue
            tags[key] = value
        return tags


@dataclass
class RunNumbers:
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    provenance: RunProvenance = field(default_factory=RunProvenance)


def _dataset_reference(item: dict[str, Any]) -> str:
    """A dataset input of the source run as the lineage names it (by name and digest)."""
    found = item.get("dataset") or {}
    return dataset_reference(str(found.get("name") or "unnamed"), str(found.get("digest") or ""))


def _number(value: object) -> float | None:
    """MLflow's JSON writes non-finite values as the strings NaN and Infinity."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


@import_app.command("mlflow")
def import_mlflow(
    ctx: typer.Context,
    source: Annotated[
        str, typer.Option("--from", help="MLflow tracking URI, e.g. http://127.0.0.1:5000.")
    ],
    model: Annotated[
        list[str] | None, typer.Option(help="Import only this model (repeatable).")
    ] = None,
    rename: Annotated[
        list[str] | None,
        typer.Option(
            help="Import the MLflow model OLD as NEW, for a name modelreg does not accept "
            "(repeatable): --rename 'Credit Scoring=credit-scoring'.",
            metavar="OLD=NEW",
        ),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Copy registered models, versions (with their files, stage, and their run's params,
    metrics, commit and datasets), tags, descriptions and aliases from an MLflow server. Safe to
    re-run: what was copied before is not copied again."""
    summary = Summary()
    renames = parse_renames(rename or [])
    server = MlflowServer(source)
    try:
        models = [m for m in server.registered_models() if not model or m["name"] in model]
        check_renames(renames, [m["name"] for m in models], summary)
        counts = {m["name"]: len(server.versions(m["name"])) for m in models}
        with (
            target(ctx).client() as client,
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=errors,
                disable=not errors.is_terminal,
            ) as progress,
        ):
            task = progress.add_task("importing versions", total=sum(counts.values()))
            importer = Importer(server, client, summary, renames)
            for found in models:
                importer.import_model(found, progress, task)
    except MlflowSourceError as error:
        raise InvalidArgumentError(str(error)) from error
    finally:
        server.close()
    _report(summary, json_output)
    if summary.skipped:
        raise typer.Exit(1)


def parse_renames(entries: list[str]) -> dict[str, str]:
    """``OLD=NEW`` entries as a mapping; NEW must be a valid model name (it holds no ``=``, so
    the last one separates them) and no two models may get the same one."""
    renames: dict[str, str] = {}
    for entry in entries:
        old, equals, new = entry.rpartition("=")
        if not equals or not old:
            raise InvalidArgumentError(f"--rename needs OLD=NEW, got {entry!r}")
        try:
            validate_model_name(new)
        except ModelregError as error:
            raise InvalidArgumentError(f"--rename {entry!r}: {error.message}") from None
        if new in renames.values() and renames.get(old) != new:
            raise InvalidArgumentError(f"--rename gives two models the name {new!r}")
        renames[old] = new
    return renames


def check_renames(renames: dict[str, str], names: list[str], summary: Summary) -> None:
    """A rename must name an MLflow model being imported, and its new name must not be the
    name another imported model keeps."""
    kept = {name for name in names if name not in renames}
    for old, new in renames.items():
        if old not in names:
            summary.skip(f"--rename {old}={new}", "no such registered model in MLflow")
        elif new in kept:
            raise InvalidArgumentError(
                f"--rename {old}={new}: MLflow has a model named {new!r} too"
            )


def _report(summary: Summary, json_output: bool) -> None:
    if json_output:
        print_json(summary)
        return
    print_table(
        "MLflow import",
        ["", "copied", "already there", "updated"],
        [
            ("models", summary.models_created, summary.models_unchanged, summary.models_updated),
            ("versions", summary.versions_copied, summary.versions_present, ""),
            ("aliases", summary.aliases_set, summary.aliases_unchanged, ""),
            ("MLflow stages", summary.stages_set, "", ""),
        ],
    )
    print(f"{summary.files} files, {summary.bytes} bytes transferred")
    for item in summary.skipped:
        print(f"skipped {item['what']}: {item['reason']}")
