"""Build hook: compile the evidence ledger's batch hasher (src/onegrid/ledger/_hasher.c), if this machine can.

It needs a C compiler, Python's headers and OpenSSL's headers and libcrypto (Debian: gcc, python3-dev,
libssl-dev). Without them, or if the module it builds does not load and hash a known vector, the install
goes on without it and the ledger hashes in pure Python (the same bytes, about half the append rate;
`onegrid ledger hasher` and `onegrid check` say which is in use). Nothing here can fail an install.

An editable install (`uv sync`, what `make demo` and `make test` use) imports the package from src/, so
the module is built in place there (ignored by git); a wheel gets it as a file of the wheel, which then
carries the interpreter's platform tag. `[tool.uv] cache-keys` makes uv rebuild when _hasher.c changes;
`uv sync --reinstall-package onegrid` rebuilds by hand.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

try:
    from hatchling.builders.hooks.plugin.interface import BuildHookInterface
except ImportError:  # tests/ledger/test_hasher.py imports this file for build(), without hatchling
    BuildHookInterface = object

SOURCE = Path("src/onegrid/ledger/_hasher.c")
# SHA-256(0x00 || "abc") and SHA-256(0x01 || 0x00*32 || 0x01*32), checked against hashlib after loading
PROBE = """
import hashlib, importlib.util, sys
spec = importlib.util.spec_from_file_location("onegrid.ledger._hasher", sys.argv[1])
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
assert m.leaf_hashes([b"abc"]) == [hashlib.sha256(b"\\x00abc").digest()]
assert m.parents([bytes(32), b"\\x01" * 32]) == [hashlib.sha256(b"\\x01" + bytes(32) + b"\\x01" * 32).digest()]
"""


def _compiler() -> list[str] | None:
    """The C compiler: $CC, else the one Python was built with if it is here, else cc or gcc."""
    for candidate in (os.environ.get("CC"), sysconfig.get_config_var("CC"), "cc", "gcc"):
        if candidate:
            words = shlex.split(candidate)
            if words and shutil.which(words[0]):
                return words
    return None


def build(root: Path, out: Path) -> str | None:
    """Compile the hasher to ``out`` and check it; returns why not (None when built)."""
    cc = _compiler()
    if cc is None:
        return "no C compiler found (set CC, or install gcc)"
    include = sysconfig.get_paths()["include"]
    if not Path(include, "Python.h").exists():
        return f"Python's headers are not in {include} (Debian: python3-dev)"
    link = ["-undefined", "dynamic_lookup"] if sys.platform == "darwin" else []
    command = [
        *cc,
        "-O2",
        "-fPIC",
        "-shared",
        *link,
        "-I",
        include,
        str(root / SOURCE),
        "-o",
        str(out),
        "-lcrypto",
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{shlex.join(command)} failed: {exc}"
    if done.returncode != 0:
        said = (
            " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
            or f"exit status {done.returncode}"
        )
        return f"{shlex.join(command)} failed (are OpenSSL's headers there? Debian: libssl-dev): {said}"
    probe = subprocess.run(  # noqa: S603
        [sys.executable, "-c", PROBE, str(out)], capture_output=True, text=True, timeout=60, check=False
    )
    if probe.returncode != 0:
        out.unlink(missing_ok=True)
        return "the module built but does not load or hash correctly: " + probe.stderr.strip()[-300:]
    return None


class HasherBuildHook(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        name = "_hasher" + sysconfig.get_config_var("EXT_SUFFIX")
        self._scratch = tempfile.mkdtemp(prefix="onegrid-hasher-")
        out = Path(self._scratch) / name
        why = build(root, out)
        if version == "editable":  # the install imports from src/: the module goes there, or none at all
            in_place = root / SOURCE.parent / name
            if why is None:
                staged = in_place.with_name(name + ".new")
                shutil.copyfile(out, staged)
                os.replace(staged, in_place)  # a new file: a running process keeps the one it has open
            else:
                in_place.unlink(missing_ok=True)
        if why is not None:
            self.app.display_warning(f"onegrid: the ledger's C batch hasher was not built, {why}.")
            self.app.display_warning("onegrid: the ledger will hash in pure Python (same results, slower).")
            return
        self.app.display_info(f"onegrid: built the ledger's C batch hasher {out.name}")
        if version != "editable":
            build_data["force_include"][str(out)] = f"onegrid/ledger/{name}"
            build_data["pure_python"] = False
            build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        scratch = getattr(self, "_scratch", None)
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
