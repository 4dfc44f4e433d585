"""Evaluations (with an optional report file) and model cards of a version."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from modelreg import routes
from modelreg.domain.digests import Digest
from modelreg.domain.errors import InvalidArgumentError
from modelreg.domain.permissions import Action
from modelreg.server.access import requires
from modelreg.server.deps import ActorDep, get_services
from modelreg.server.record_schemas import (
    CardOut,
    CardSet,
    EvaluationCreate,
    EvaluationList,
    EvaluationOut,
)
from modelreg.service.evaluations import Evaluations, ReportUpload

router = APIRouter(tags=["evaluations"])
CHUNK = 1024 * 1024


def get_evaluations(request: Request) -> Evaluations:
    return get_services(request).evaluations


EvaluationsDep = Annotated[Evaluations, Depends(get_evaluations)]


@router.post(routes.VERSION_EVALUATIONS, status_code=201, dependencies=[requires(Action.RECORD)])
async def add_evaluation(
    name: str, version: int, request: Request, evaluations: EvaluationsDep, actor: ActorDep
) -> EvaluationOut:
    """A JSON ``EvaluationCreate`` body, or multipart with the JSON as field ``evaluation`` and
    the report file as part ``report`` (declared in ``evaluation.report``)."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        body = _evaluation(await request.body())
        if body.report is not None:
            raise InvalidArgumentError("send the declared report file as a multipart 'report' part")
        found = await run_in_threadpool(
            evaluations.add_evaluation,
            name,
            version,
            dataset=body.dataset,
            actor=actor,
            metrics=body.metrics,
            description=body.description,
        )
        return EvaluationOut.from_entity(found)
    async with request.form(max_files=1, max_fields=1) as form:
        field = form.get("evaluation")
        body = _evaluation(field.encode() if isinstance(field, str) else b"")
        part = form.get("report")
        declared = body.report
        if declared is None or not isinstance(part, UploadFile):
            raise InvalidArgumentError(
                "a multipart evaluation carries a 'report' file part declared in "
                "evaluation.report (name, size, digest)"
            )
        report = ReportUpload(
            declared.name, declared.size, Digest.parse(declared.digest), _chunks(part.file)
        )
        found = await run_in_threadpool(
            evaluations.add_evaluation,
            name,
            version,
            dataset=body.dataset,
            actor=actor,
            metrics=body.metrics,
            description=body.description,
            report=report,
        )
    return EvaluationOut.from_entity(found)


@router.get(routes.VERSION_EVALUATIONS, dependencies=[requires(Action.READ)])
def list_evaluations(name: str, version: int, evaluations: EvaluationsDep) -> EvaluationList:
    found = evaluations.list_evaluations(name, version)
    return EvaluationList(items=[EvaluationOut.from_entity(e) for e in found])


@router.put(routes.VERSION_CARD, dependencies=[requires(Action.RECORD)])
def set_card(
    name: str, version: int, body: CardSet, evaluations: EvaluationsDep, actor: ActorDep
) -> CardOut:
    return CardOut.from_entity(evaluations.set_card(name, version, body.content, actor=actor))


@router.get(routes.VERSION_CARD, dependencies=[requires(Action.READ)])
def get_card(
    name: str, version: int, evaluations: EvaluationsDep, revision: int | None = None
) -> CardOut:
    return CardOut.from_entity(evaluations.get_card(name, version, revision=revision))


def _evaluation(raw: bytes) -> EvaluationCreate:
    try:
        return EvaluationCreate.model_validate_json(raw or b"{}")
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc']) or 'body'}: {item['msg']}"
            for item in error.errors()[:5]
        )
        raise InvalidArgumentError(f"invalid evaluation: {problems}") from error


def _chunks(handle: IO[bytes]) -> Iterator[bytes]:
    while chunk := handle.read(CHUNK):
        yield chunk
