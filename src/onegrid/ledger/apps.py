from typing import Any

from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "onegrid.ledger"
    label = "ledger"
    verbose_name = _("Evidence ledger")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from onegrid.access import catalog
        from onegrid.audit import registry
        from onegrid.kit import sweeps
        from onegrid.ledger import anchoring
        from onegrid.ledger.models import Cosignature, Witness

        catalog.register(
            "ledger",
            {
                "view": _("See the evidence ledger: checkpoints, proofs, and deposits in scope"),
                "deposit": _("Deposit documents and hashes in the evidence ledger"),
                "cosign": _("Submit witness cosignatures of ledger checkpoints"),
                "manage": _("Register and retire ledger witnesses"),
            },
        )
        registry.register(Witness)
        registry.register(Cosignature, digest=["line"])
        sweeps.register("ledger.anchor-audit", 5, anchoring.sweep)
        # a flush or migration may have emptied or rewritten the tiles: the tile cache starts over
        post_migrate.connect(_forget_tiles, dispatch_uid="ledger.forget-tiles")
        checks.register(_hasher_check, "ledger")


def _forget_tiles(**kwargs: object) -> None:
    from onegrid.ledger import log

    log.tile_cache.clear()


def _hasher_check(**kwargs: Any) -> list[checks.CheckMessage]:
    """Say so when the ledger hashes in pure Python: the same results, about half the append rate."""
    from onegrid.ledger import merkle

    if merkle.HASHER_IS_C:
        return []
    return [
        checks.Info(
            f"The evidence ledger hashes in pure Python: {merkle.HASHER}.",
            hint="Unset ONEGRID_LEDGER_HASHER to use the compiled one."
            if "ONEGRID_LEDGER_HASHER" in merkle.HASHER
            else "Install a C compiler and Python's and OpenSSL's headers (Debian: gcc python3-dev "
            "libssl-dev), then `uv sync --reinstall-package onegrid`; `onegrid ledger hasher` shows "
            "which hasher is in use.",
            id="ledger.I001",
        )
    ]
