"""Signing keys the registry trusts, and the signatures of a version's manifest."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from modelreg import routes
from modelreg.domain.permissions import Action
from modelreg.server.access import requires
from modelreg.server.deps import ActorDep, get_services
from modelreg.server.signature_schemas import (
    SignatureCreate,
    SignatureList,
    SignatureOut,
    SigningKeyCreate,
    SigningKeyList,
    SigningKeyOut,
)
from modelreg.service.signatures import Signatures

router = APIRouter(tags=["signatures"])


def get_signatures(request: Request) -> Signatures:
    return get_services(request).signatures


SignaturesDep = Annotated[Signatures, Depends(get_signatures)]


@router.get(routes.SIGNING_KEYS, dependencies=[requires(Action.SEARCH)])
def list_signing_keys(signatures: SignaturesDep) -> SigningKeyList:
    return SigningKeyList(items=[SigningKeyOut.from_entity(k) for k in signatures.list_keys()])


@router.post(routes.SIGNING_KEYS, status_code=201, dependencies=[requires(Action.MANAGE_POLICIES)])
def add_signing_key(
    body: SigningKeyCreate, signatures: SignaturesDep, actor: ActorDep
) -> SigningKeyOut:
    return SigningKeyOut.from_entity(signatures.add_key(body.name, body.public_key, actor=actor))


@router.get(routes.SIGNING_KEY, dependencies=[requires(Action.SEARCH)])
def get_signing_key(key_name: str, signatures: SignaturesDep) -> SigningKeyOut:
    return SigningKeyOut.from_entity(signatures.get_key(key_name))


@router.delete(routes.SIGNING_KEY, dependencies=[requires(Action.MANAGE_POLICIES)])
def revoke_signing_key(key_name: str, signatures: SignaturesDep, actor: ActorDep) -> SigningKeyOut:
    return SigningKeyOut.from_entity(signatures.remove_key(key_name, actor=actor))


@router.get(routes.VERSION_SIGNATURES, dependencies=[requires(Action.READ)])
def list_signatures(name: str, version: int, signatures: SignaturesDep) -> SignatureList:
    items = signatures.list_signatures(name, version)
    return SignatureList(items=[SignatureOut.from_entity(s) for s in items])


@router.post(routes.VERSION_SIGNATURES, status_code=201, dependencies=[requires(Action.RECORD)])
def attach_signature(
    name: str, version: int, body: SignatureCreate, signatures: SignaturesDep, actor: ActorDep
) -> SignatureOut:
    stored = signatures.attach_signature(
        name, version, key_fingerprint=body.key_fingerprint, signature=body.signature, actor=actor
    )
    return SignatureOut.from_entity(stored)
