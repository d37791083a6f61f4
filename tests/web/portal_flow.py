"""What the staff do between a report and its rating, through the domain layer, for the portal tests."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import pytest
from tests.factories import Net
from tests.matters.conftest import Desk, build_desk

from onegrid.matters import steps
from onegrid.matters.lifecycle import Step
from onegrid.matters.models import Matter


@pytest.fixture(name="desk")
def desk_fixture(net: Net, people: dict[str, Any]) -> Desk:
    """The county desk of tests/matters (command centres, a department and its handler, routing rules)."""
    return build_desk(net, people)


def png(width: int = 4, height: int = 3) -> bytes:
    """A real, tiny PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x30\x80\xc0" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def resolve(matter: Matter, desk: Desk, people: dict[str, Any]) -> Matter:
    """Registered and dispatched by the county centre, taken on, worked and resolved by the department."""
    county = people["county"]
    steps.take(actor=county, matter=matter, step=Step.REGISTER)
    steps.take(actor=county, matter=matter, step=Step.DISPATCH)
    for step in (Step.ACCEPT, Step.START, Step.RESOLVE):
        steps.take(actor=desk.handler, matter=matter, step=step, data=steps.StepInput(note="已处理"))
    return matter


def close(matter: Matter, desk: Desk, people: dict[str, Any]) -> Matter:
    resolve(matter, desk, people)
    steps.take(actor=people["county"], matter=matter, step=Step.CLOSE)
    return matter
