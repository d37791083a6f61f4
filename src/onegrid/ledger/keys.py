"""The log's signing key and identity, from settings (ONEGRID_LEDGER_KEY, ONEGRID_LEDGER_ORIGIN)."""

from __future__ import annotations

import functools

from django.conf import settings

from onegrid.ledger import note


@functools.cache
def _signer(origin: str, seed: bytes) -> note.Signer:
    return note.Signer(origin, seed)


def signer() -> note.Signer:
    """The log key signs under the origin's name, as C2SP logs do."""
    return _signer(settings.LEDGER_ORIGIN, settings.LEDGER_KEY)


def origin() -> str:
    return str(settings.LEDGER_ORIGIN)


def verifier() -> note.Verifier:
    return signer().verifier
