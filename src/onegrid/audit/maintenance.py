"""The one way past the append-only triggers: an explicit maintenance switch for this connection.

The database refuses UPDATE, DELETE (and on PostgreSQL TRUNCATE) of audit records unless maintenance is
switched on for the connection. Nothing in the product switches it on; it exists so that test suites
can empty their throwaway databases. On SQLite the triggers call ``onegrid_audit_locked()``, a function
each connection of this process registers; any other client lacks it, so its writes fail too. On
PostgreSQL the switch is the session setting ``onegrid.audit_maintenance``. Tampering by someone who can
drop triggers is caught by anchoring the trail in the evidence ledger, not by this.
"""

from __future__ import annotations

from typing import Any

from django.db import connection

_unlocked = False


def _locked() -> int:
    return 0 if _unlocked else 1


def register(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created`` receiver: give SQLite connections the lock function."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("onegrid_audit_locked", 0, _locked, deterministic=False)


def set_maintenance(enabled: bool) -> None:
    """Switch maintenance on or off for this process's default connection."""
    global _unlocked
    _unlocked = enabled
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('onegrid.audit_maintenance', %s, false)", ["on" if enabled else "off"]
            )
