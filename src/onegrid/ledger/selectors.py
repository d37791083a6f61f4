"""Reading the evidence ledger. Hashes, proofs and checkpoints reveal nothing and need only
``ledger.view``; what an entry *says* is scoped: a deposit by its area (``ledger.view``), an anchored
audit record by the audit trail's own scope (``audit.view``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from onegrid.audit.models import AuditRecord
from onegrid.kit.errors import Conflict, Invalid, NotFound
from onegrid.kit.scope import ScopedQuerySet
from onegrid.ledger import anchoring, log, merkle
from onegrid.ledger.models import AuditAnchor, Checkpoint, Cosignature, Deposit
from onegrid.ledger.receipt import Receipt


def latest_checkpoint() -> Checkpoint:
    checkpoint = Checkpoint.objects.order_by("-size").first()
    if checkpoint is None:
        raise NotFound("the ledger is empty: no checkpoint yet")
    return checkpoint


def checkpoint(size: int) -> Checkpoint:
    found = Checkpoint.objects.filter(size=size).first()
    if found is None:
        raise NotFound(f"no checkpoint of size {size}")
    return found


def cosignatures(checkpoint: Checkpoint) -> list[Cosignature]:
    return list(checkpoint.cosignatures.select_related("witness").order_by("witness__name"))


def signed_note(checkpoint: Checkpoint, cosigned: list[Cosignature] | None = None) -> str:
    """The checkpoint as a signed note with the log's signature and every witness cosignature."""
    cosigned = cosignatures(checkpoint) if cosigned is None else cosigned
    return checkpoint.note + "".join(c.line for c in cosigned)


def _check_size(tree_size: int, field: str) -> None:
    if tree_size > log.size():
        raise NotFound(f"the ledger has no tree of size {tree_size} yet")
    if tree_size < 0:
        raise Invalid("a tree size is not negative", field=field)


def inclusion_proof(index: int, tree_size: int) -> list[bytes]:
    if not 0 <= index < tree_size:
        raise Invalid(f"index {index} is not below the tree size {tree_size}", field="index")
    _check_size(tree_size, "size")
    return log.inclusion_proof(index, tree_size)


def consistency_proof(first: int, second: int) -> list[bytes]:
    if first <= 0:
        raise Invalid("a consistency proof starts from a tree of at least one leaf", field="first")
    if second < first:
        raise Invalid("second is smaller than first", field="second")
    _check_size(second, "second")
    return log.consistency_proof(first, second)


def deposits(actor: Any, *, sha256: str | None = None) -> ScopedQuerySet[Deposit]:
    qs = Deposit.objects.restrict(actor, "ledger.view")
    if sha256:
        qs = qs.filter(sha256=sha256.lower())
    return qs.order_by("-index")


@dataclass(frozen=True)
class Entry:
    index: int
    leaf_hash: bytes
    kind: str  # deposit, audit or leaf
    deposit: Deposit | None = None
    audit_id: int | None = None


def entry(actor: Any, index: int) -> Entry:
    """Leaf ``index`` and what it is, if ``actor`` may see what it says; NotFound otherwise."""
    if index < 0 or index >= log.size():
        raise NotFound(f"no entry {index}")
    leaf = log.leaf_hash(index)
    if leaf is None:
        raise log.LogCorrupt(f"the stored tree lacks leaf {index}")
    found = Deposit.objects.restrict(actor, "ledger.view").filter(index=index).first()
    if found is not None:
        return Entry(index, leaf, "deposit", deposit=found)
    if Deposit.objects.filter(index=index).exists():
        raise NotFound(f"no entry {index}")
    anchor = AuditAnchor.objects.filter(index=index).first()
    if anchor is not None:
        visible = AuditRecord.objects.restrict(actor, "audit.view").filter(pk=anchor.audit_id).exists()
        if not visible and AuditRecord.objects.filter(pk=anchor.audit_id).exists():
            raise NotFound(f"no entry {index}")
        return Entry(index, leaf, "audit", audit_id=int(anchor.audit_id))
    return Entry(index, leaf, "leaf")


def leaf_data(found: Entry) -> bytes | None:
    """The leaf's data for a receipt: the deposit's stored leaf, or the audit row's canonical form now
    (Conflict if that no longer hashes to the logged leaf: the row was changed)."""
    if found.deposit is not None:
        return bytes(found.deposit.leaf)
    if found.audit_id is not None:
        row = anchoring.rows(pk=found.audit_id).first()
        if row is None:
            raise Conflict(f"audit record {found.audit_id} was deleted after it was logged at {found.index}")
        data = anchoring.leaf_data(row)
        if merkle.leaf_hash(data) != found.leaf_hash:
            raise Conflict(f"audit record {found.audit_id} was changed after it was logged at {found.index}")
        return data
    return None


def receipt(actor: Any, index: int, tree_size: int | None = None) -> tuple[Receipt, Checkpoint, Entry]:
    """A tlog-proof receipt for entry ``index`` at the checkpoint of ``tree_size`` (default: latest)."""
    found = entry(actor, index)
    chosen = latest_checkpoint() if tree_size is None else checkpoint(tree_size)
    if index >= chosen.size:
        raise Invalid(f"entry {index} is not in the checkpoint of size {chosen.size}", field="size")
    proof = log.inclusion_proof(index, int(chosen.size))
    return Receipt(index, tuple(proof), signed_note(chosen), leaf_data(found)), chosen, found


def receipts_for(deposits: list[Deposit]) -> list[tuple[Receipt, Checkpoint]]:
    """Receipts for a batch just deposited, at the checkpoint the batch itself was signed in (one proof
    query each; the caller wrote them, so no scope check)."""
    if not deposits:
        return []
    chosen = checkpoint(max(int(d.index) for d in deposits) + 1)
    signed = signed_note(chosen)
    size = int(chosen.size)
    return [
        (Receipt(int(d.index), tuple(log.inclusion_proof(int(d.index), size)), signed, bytes(d.leaf)), chosen)
        for d in deposits
    ]
