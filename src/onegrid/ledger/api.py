"""/api/v1/ledger: deposit documents or hashes and get receipts; entries, proofs, checkpoints,
witnesses and their cosignatures."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from onegrid.access.auth import require
from onegrid.areas import selectors as areas
from onegrid.kit.pagination import LimitOffset, SerialisedPage
from onegrid.ledger import keys, log, merkle, note, selectors, services
from onegrid.ledger.checkpoint import parse_checkpoint
from onegrid.ledger.models import Checkpoint, Cosignature, Deposit, Witness
from onegrid.ledger.receipt import Receipt
from onegrid.ledger.schemas import (
    CheckpointOut,
    ConsistencyOut,
    CosignatureIn,
    DepositBatchIn,
    DepositIn,
    DepositOut,
    EntryOut,
    InclusionOut,
    Problem,
    ReceiptOut,
    WitnessIn,
    WitnessOut,
)

router = Router()
ERRORS: dict[int, Any] = {401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem}
b64 = note.b64encode


def _receipt(receipt: Receipt, checkpoint: Checkpoint, leaf: bytes) -> dict[str, Any]:
    return {
        "index": receipt.index,
        "size": checkpoint.size,
        "leaf_hash": b64(leaf),
        "root": b64(bytes(checkpoint.root)),
        "proof": [b64(h) for h in receipt.proof],
        "receipt": receipt.text(),
    }


def _deposit(d: Deposit, receipt: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "index": d.index,
        "sha256": d.sha256,
        "title": d.title,
        "media_type": d.media_type,
        "size": d.size,
        "metadata": d.metadata,
        "area_path": d.area_path,
        "depositor": d.depositor_label,
        "at": d.at,
        "leaf_hash": b64(merkle.leaf_hash(bytes(d.leaf))),
        "receipt": receipt,
    }


def _deposited(rows: list[Deposit]) -> list[dict[str, Any]]:
    return [
        _deposit(d, _receipt(receipt, checkpoint, merkle.leaf_hash(bytes(d.leaf))))
        for d, (receipt, checkpoint) in zip(rows, selectors.receipts_for(rows), strict=True)
    ]


def _cosigner(c: Cosignature) -> dict[str, Any]:
    return {
        "witness": c.witness.name,
        "institution": c.witness.institution,
        "timestamp": c.timestamp,
        "time": dt.datetime.fromtimestamp(c.timestamp, tz=dt.UTC),
    }


def _checkpoint(c: Checkpoint) -> dict[str, Any]:
    cosigned = selectors.cosignatures(c)
    body = parse_checkpoint(note.parse_note(c.note).text)
    return {
        "origin": body.origin,
        "size": c.size,
        "root": b64(bytes(c.root)),
        "at": c.at,
        "note": selectors.signed_note(c, cosigned),
        "cosigned_by": [_cosigner(x) for x in cosigned],
    }


def _witness(w: Witness) -> dict[str, Any]:
    return {
        "name": w.name,
        "institution": w.institution,
        "vkey": services.witness_verifier(w).vkey,
        "is_active": w.is_active,
        "added_at": w.added_at,
    }


@router.post(
    "/deposits", response={201: DepositOut, **ERRORS}, summary="Deposit a document's hash; get a receipt"
)
def deposit(request: HttpRequest, body: DepositIn) -> Any:
    actor = require(request, "ledger.deposit")
    area = areas.get_for(actor, body.area_code, "ledger.deposit")
    item = services.DepositInput(body.sha256.lower(), body.title, body.media_type, body.size, body.metadata)
    rows = services.deposit(actor=actor, area_path=area.path, items=[item])
    return Status(201, _deposited(rows)[0])


@router.post(
    "/deposits/batch",
    response={201: list[DepositOut], **ERRORS},
    summary="Deposit up to 1,000 hashes as one batch (one checkpoint); a receipt for each",
)
def deposit_batch(request: HttpRequest, body: DepositBatchIn) -> Any:
    actor = require(request, "ledger.deposit")
    area = areas.get_for(actor, body.area_code, "ledger.deposit")
    items = [
        services.DepositInput(i.sha256.lower(), i.title, i.media_type, i.size, i.metadata) for i in body.items
    ]
    rows = services.deposit(actor=actor, area_path=area.path, items=items)
    return Status(201, _deposited(rows))


@router.post(
    "/deposits/document",
    response={201: DepositOut, **ERRORS},
    summary="Deposit a document (multipart); only its SHA-256 and the metadata are kept",
)
def deposit_document(
    request: HttpRequest,
    file: File[UploadedFile],
    area_code: Form[str],
    title: Form[str] = "",
    metadata: Form[str] = "",
) -> Any:
    actor = require(request, "ledger.deposit")
    area = areas.get_for(actor, area_code, "ledger.deposit")
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    item = services.DepositInput(
        digest.hexdigest(),
        title or (file.name or "")[:200],
        (file.content_type or "")[:100],
        file.size,
        services.metadata_from_json(metadata),
    )
    rows = services.deposit(actor=actor, area_path=area.path, items=[item])
    return Status(201, _deposited(rows)[0])


@router.get("/deposits", response=list[DepositOut], summary="Deposits in scope, newest first")
@paginate(LimitOffset)
def list_deposits(request: HttpRequest, sha256: str | None = None) -> Any:
    return SerialisedPage(selectors.deposits(require(request, "ledger.view"), sha256=sha256), _deposit)


@router.get("/entries/{index}", response={200: EntryOut, **ERRORS}, summary="One entry of the log")
def get_entry(request: HttpRequest, index: int) -> Any:
    found = selectors.entry(require(request, "ledger.view"), index)
    return {
        "index": found.index,
        "leaf_hash": b64(found.leaf_hash),
        "kind": found.kind,
        "audit_id": found.audit_id,
        "deposit": _deposit(found.deposit) if found.deposit else None,
    }


@router.get(
    "/entries/{index}/receipt",
    response={200: ReceiptOut, **ERRORS},
    summary="A receipt (tlog-proof) for an entry, at the latest checkpoint or the one of `size`",
)
def get_receipt(request: HttpRequest, index: int, size: int | None = None) -> Any:
    receipt, checkpoint, found = selectors.receipt(require(request, "ledger.view"), index, size)
    return _receipt(receipt, checkpoint, found.leaf_hash)


@router.get(
    "/entries/{index}/receipt.tlog-proof",
    response={200: str, **ERRORS},
    summary="The same receipt as a .tlog-proof file",
)
def get_receipt_file(request: HttpRequest, index: int, size: int | None = None) -> Any:
    receipt, checkpoint, _ = selectors.receipt(require(request, "ledger.view"), index, size)
    response = HttpResponse(receipt.text(), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="entry-{index}-{checkpoint.size}.tlog-proof"'
    return response


@router.get("/proofs/inclusion", response={200: InclusionOut, **ERRORS}, summary="Inclusion proof (RFC 9162)")
def inclusion(request: HttpRequest, index: int, size: int | None = None) -> Any:
    require(request, "ledger.view")
    tree_size = log.size() if size is None else size
    proof = selectors.inclusion_proof(index, tree_size)
    leaf = log.leaf_hash(index)
    return {
        "index": index,
        "size": tree_size,
        "leaf_hash": b64(leaf or b""),
        "root": b64(log.root(tree_size)),
        "proof": [b64(h) for h in proof],
    }


@router.get(
    "/proofs/consistency", response={200: ConsistencyOut, **ERRORS}, summary="Consistency proof (RFC 9162)"
)
def consistency(request: HttpRequest, first: int, second: int | None = None) -> Any:
    require(request, "ledger.view")
    second = log.size() if second is None else second
    proof = selectors.consistency_proof(first, second)
    return {
        "first": first,
        "second": second,
        "first_root": b64(log.root(first)),
        "second_root": b64(log.root(second)),
        "proof": [b64(h) for h in proof],
    }


@router.get("/checkpoints/latest", response={200: CheckpointOut, **ERRORS}, summary="The latest checkpoint")
def latest(request: HttpRequest) -> Any:
    require(request, "ledger.view")
    return _checkpoint(selectors.latest_checkpoint())


@router.get(
    "/checkpoints/{size}", response={200: CheckpointOut, **ERRORS}, summary="The checkpoint of a size"
)
def get_checkpoint(request: HttpRequest, size: int) -> Any:
    require(request, "ledger.view")
    return _checkpoint(selectors.checkpoint(size))


@router.post(
    "/checkpoints/{size}/cosignatures",
    response={201: CheckpointOut, **ERRORS},
    summary="Submit a witness cosignature (C2SP tlog-cosignature) of a checkpoint",
)
def cosign(request: HttpRequest, size: int, body: CosignatureIn) -> Any:
    actor = require(request, "ledger.cosign")
    checkpoint = selectors.checkpoint(size)
    services.cosign(actor=actor, checkpoint=checkpoint, line=body.signature)
    return Status(201, _checkpoint(checkpoint))


@router.get("/witnesses", response=list[WitnessOut], summary="The witness institutions and their keys")
def list_witnesses(request: HttpRequest) -> Any:
    require(request, "ledger.view")
    return [_witness(w) for w in Witness.objects.order_by("name")]


@router.post("/witnesses", response={201: WitnessOut, **ERRORS}, summary="Register a witness's cosigner key")
def add_witness(request: HttpRequest, body: WitnessIn) -> Any:
    actor = require(request, "ledger.manage")
    return Status(
        201, _witness(services.add_witness(actor=actor, vkey=body.vkey, institution=body.institution))
    )


@router.get("/key", response={200: dict[str, str], **ERRORS}, summary="The log's origin and verifier key")
def public_key(request: HttpRequest) -> Any:
    require(request, "ledger.view")
    return {"origin": keys.origin(), "vkey": keys.verifier().vkey}
