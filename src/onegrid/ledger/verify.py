"""Checking the stored log and the audit trail against what was logged.

``check_log`` reads every stored hash once, tile by tile in leaf order, recomputes each inner node from its
children, the root at every checkpoint, and checks every checkpoint's signature and cosignatures
(and any checkpoints kept outside the database). ``check_audit`` recomputes the leaf of every anchored
audit record and reports records changed, deleted or inserted out of order since they were logged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from django.db.models import Max

from onegrid.audit.models import AuditRecord
from onegrid.ledger import anchoring, keys, log, merkle, note, tiles
from onegrid.ledger.checkpoint import Checkpoint as CheckpointBody
from onegrid.ledger.checkpoint import CheckpointError, open_checkpoint, parse_checkpoint
from onegrid.ledger.models import AuditAnchor, Checkpoint, Cosignature, Head, Witness

CHUNK = 50_000


@dataclass(frozen=True)
class Problem:
    kind: str
    message: str


@dataclass
class LogReport:
    size: int = 0
    nodes: int = 0
    checkpoints: int = 0
    cosignatures: int = 0
    external: int = 0
    problems: list[Problem] = field(default_factory=list)


@dataclass
class AuditReport:
    anchored: int = 0
    pending: int = 0  # newer than the last anchored record: not yet logged, not a problem
    changed: list[tuple[int, int]] = field(default_factory=list)  # audit id, leaf index
    deleted: list[tuple[int, int]] = field(default_factory=list)
    out_of_order: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.changed or self.deleted or self.out_of_order)


def check_log(
    *,
    log_key: note.Verifier | None = None,
    external: Sequence[tuple[str, str]] = (),
    progress: Callable[[int], None] | None = None,
) -> LogReport:
    """Recompute the stored tree and check it against every checkpoint the log signed, and against
    ``external`` (name, signed note) checkpoints kept elsewhere, e.g. by a witness."""
    log_key = log_key or keys.verifier()
    report = LogReport()
    problems = report.problems
    witnesses = {
        (w.name, w.key_id): w
        for w in (
            note.Verifier(name, note.COSIGNATURE, bytes(key))
            for name, key in Witness.objects.values_list("name", "public_key")
        )
    }
    cosigned: dict[int, list[str]] = {}
    for size, line in Cosignature.objects.values_list("checkpoint_id", "line"):
        cosigned.setdefault(int(size), []).append(line)
    wanted: dict[int, list[tuple[str, bytes, str]]] = {}  # size -> (what, root, signed note)
    for size, root, signed in Checkpoint.objects.order_by("size").values_list("size", "root", "note"):
        wanted.setdefault(int(size), []).append((f"checkpoint {size}", bytes(root), signed))
        report.checkpoints += 1
    for name, signed in external:
        try:
            opened = open_checkpoint(signed, log_key)
        except (note.NoteError, CheckpointError) as exc:
            problems.append(Problem("external", f"{name}: {exc}"))
            continue
        wanted.setdefault(opened.checkpoint.size, []).append((name, opened.checkpoint.root, ""))
        report.external += 1

    def at_size(n: int, root: bytes) -> None:
        for what, expected, signed in wanted.pop(n, []):
            if expected != root:
                problems.append(
                    Problem("root", f"{what}: its root is not the root of the stored tree of size {n}")
                )
            if signed:
                _check_signed(n, expected, signed, log_key, witnesses, cosigned.get(n, []), problems, report)

    stack: list[bytes] = []
    size = 0
    if 0 in wanted:
        at_size(0, merkle.EMPTY_ROOT)
    try:
        for leaf, blob in log.leaf_rows():
            merges = merkle.completes(leaf)  # leaf_rows checked the lengths and the order
            report.nodes += 1 + merges
            stack.append(blob[:32])
            for level in range(1, merges + 1):
                stored = blob[32 * level : 32 * level + 32]
                if stored != merkle.node_hash(stack[-2], stack[-1]):
                    index = leaf >> level
                    first = index << level
                    problems.append(
                        Problem(
                            "node",
                            f"node (level {level}, index {index}) is not the hash of its children: "
                            f"a hash of leaves {first}–{leaf} was changed",
                        )
                    )
                stack[-2:] = [
                    stored
                ]  # go on with what is stored, so each change is reported once, where it is
            size = leaf + 1
            report.size = size
            at_size(size, merkle.fold(stack))
            if progress is not None and size % 100_000 == 0:
                progress(size)
    except tiles.TileError as exc:
        problems.append(Problem("node", str(exc)))
    for _, items in sorted(wanted.items()):
        for what, _, _ in items:
            problems.append(Problem("root", f"{what} is beyond the stored tree ({report.size} leaves)"))
    head = Head.objects.filter(pk=1).values_list("size", flat=True).first()
    if head is not None and head != report.size:
        problems.append(
            Problem("head", f"the head row says {head} leaves, the stored tree has {report.size}")
        )
    return report


def _check_signed(
    size: int,
    root: bytes,
    signed: str,
    log_key: note.Verifier,
    witnesses: dict[tuple[str, bytes], note.Verifier],
    cosignature_lines: list[str],
    problems: list[Problem],
    report: LogReport,
) -> None:
    try:
        parsed = note.parse_note(signed)
        body = parse_checkpoint(parsed.text)
        note.open_note(parsed, [log_key])
    except (note.NoteError, CheckpointError) as exc:
        problems.append(Problem("signature", f"checkpoint {size}: {exc}"))
        return
    if body != CheckpointBody(log_key.name, size, root):
        problems.append(
            Problem("checkpoint", f"checkpoint {size}: its note does not state its size and root")
        )
    for line in cosignature_lines:
        try:
            sig = note.parse_signature_line(line)
            witness = witnesses.get((sig.name, sig.key_id))
            if witness is None:
                raise note.NoteError(f"{sig.name} is not a registered witness key")
            witness.verify(parsed.text, sig.signature)
            report.cosignatures += 1
        except note.NoteError as exc:
            problems.append(Problem("cosignature", f"checkpoint {size}: {exc}"))


def _anchors() -> Iterator[list[tuple[int, int]]]:
    after = -1
    while True:
        chunk = [
            (int(a), int(i))
            for a, i in AuditAnchor.objects.filter(audit_id__gt=after)
            .order_by("audit_id")
            .values_list("audit_id", "index")[:5000]
        ]
        if not chunk:
            return
        yield chunk
        after = chunk[-1][0]


def check_audit(*, skew: dt.timedelta = dt.timedelta(seconds=60)) -> AuditReport:
    """Every anchored audit record still hashes to its leaf; nothing was deleted; nothing was slipped
    in below the anchored frontier or dated before records written earlier (beyond ``skew``)."""
    report = AuditReport()
    last_index = -1
    for chunk in _anchors():
        rows = {int(r[0]): r for r in anchoring.rows(id__in=[a for a, _ in chunk])}
        stored = log.fetch([(0, i) for _, i in chunk], cached=False)
        for audit_id, index in chunk:
            report.anchored += 1
            if index <= last_index:
                report.out_of_order.append(
                    (audit_id, f"logged at {index}, before a record with a smaller id")
                )
            last_index = max(last_index, index)
            row = rows.get(audit_id)
            if row is None:
                report.deleted.append((audit_id, index))
            elif merkle.leaf_hash(anchoring.leaf_data(row)) != stored.get((0, index)):
                report.changed.append((audit_id, index))
    front = AuditAnchor.objects.aggregate(m=Max("audit_id"))["m"] or 0
    below = AuditRecord.objects.filter(id__lte=front).exclude(
        id__in=AuditAnchor.objects.filter(audit_id__lte=front).values("audit_id")
    )
    for audit_id in below.order_by("id").values_list("id", flat=True):
        report.out_of_order.append((int(audit_id), f"never logged, yet records up to {front} were"))
    report.pending = AuditRecord.objects.filter(id__gt=front).count()
    latest: tuple[int, dt.datetime] | None = None
    after = 0
    while True:
        times = list(AuditRecord.objects.filter(id__gt=after).order_by("id").values_list("id", "at")[:CHUNK])
        if not times:
            break
        for audit_id, at in times:
            if latest is not None and at < latest[1] - skew:
                report.out_of_order.append(
                    (
                        int(audit_id),
                        f"dated {anchoring.timestamp(at)}, before record {latest[0]} ({anchoring.timestamp(latest[1])})",
                    )
                )
            if latest is None or at > latest[1]:
                latest = (int(audit_id), at)
        after = int(times[-1][0])
    return report
