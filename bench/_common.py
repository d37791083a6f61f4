"""Shared benchmark plumbing: machine facts, result tables, and the log in docs/benchmarks.md."""

from __future__ import annotations

import datetime as dt
import os
import platform
import shlex
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "docs" / "benchmarks.md"


@dataclass(frozen=True)
class Result:
    """One table: a title, its column headings and rows of already formatted cells."""

    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    notes: Sequence[str] = field(default_factory=tuple)


def machine() -> dict[str, str]:
    """Cores, memory, CPU, load, git commit, date and library versions, as display strings."""
    facts = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _git_commit(),
        "cores": str(os.cpu_count()),
        "memory": f"{_meminfo_gb():.1f} GB",
        "cpu": _cpu_model(),
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
    }
    for name in ("numpy", "shapely"):
        module = sys.modules.get(name)
        if module is not None:
            facts[name] = str(getattr(module, "__version__", "?"))
    shapely_module = sys.modules.get("shapely")
    if shapely_module is not None:
        facts["GEOS"] = ".".join(str(v) for v in shapely_module.geos_version)
    return facts


def command() -> str:
    """The command line as typed, relative to the repository."""
    return "uv run python " + " ".join(shlex.quote(a) for a in [_relative(sys.argv[0]), *sys.argv[1:]])


def report(heading: str, results: Sequence[Result], *, log: bool = True) -> None:
    """Print `results` with machine facts; append them as Markdown to docs/benchmarks.md."""
    console = Console(width=160)
    facts = machine()
    console.rule(heading)
    console.print("  ".join(f"{k}: {v}" for k, v in facts.items()), style="dim")
    for result in results:
        table = Table(title=result.title, title_justify="left")
        for column in result.columns:
            table.add_column(column, justify="left" if column == result.columns[0] else "right")
        for row in result.rows:
            table.add_row(*row)
        console.print(table)
        for note in result.notes:
            console.print(f"  {note}", style="dim")
    if not log:
        return
    LOG.parent.mkdir(parents=True, exist_ok=True)
    new = not LOG.exists()
    with LOG.open("a", encoding="utf-8") as out:
        if new:
            out.write("# Benchmarks\n\nAppended by the scripts in `bench/`; newest last.\n")
        out.write(f"\n## {heading} — {facts['date']}\n\n")
        out.write(f"`{command()}`\n\n")
        out.write("; ".join(f"{k}: {v}" for k, v in facts.items() if k != "date") + "\n")
        for result in results:
            out.write(f"\n**{result.title}**\n\n")
            out.write("| " + " | ".join(result.columns) + " |\n")
            out.write("|" + "|".join("---" if i == 0 else "---:" for i in range(len(result.columns))) + "|\n")
            for row in result.rows:
                out.write("| " + " | ".join(row) + " |\n")
            for note in result.notes:
                out.write(f"\n{note}\n")
    console.print(f"appended to {_relative(str(LOG))}", style="dim")


def _git_commit() -> str:
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return sha + (" (with uncommitted changes)" if dirty else "")


def _meminfo_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return float("nan")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _relative(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return path
