"""The bench's one table, printed and written into docs/performance.md with the machine.

Only the part between the two markers is rewritten; the analysis under it is written by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.measure import Figure, format_number

PERFORMANCE_MD = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
START = "<!-- bench:start (written by `make bench`; edit below the end marker) -->"
END = "<!-- bench:end -->"


def table(figures: Sequence[Figure], skipped: Sequence[str] = ()) -> str:
    lines = [
        "| figure | backend | how | median | p95 | target | verdict | note |",
        "|---|---|---|---:|---:|---|---|---|",
    ]
    for figure in figures:
        unit = figure.samples.unit
        target = figure.target.describe(unit) if figure.target else "—"
        lines.append(
            f"| {figure.name} | {figure.backend} | {figure.how} | {format_number(figure.samples.median)} {unit} | "
            f"{format_number(figure.samples.p95)} {unit} | {target} | {figure.verdict} | {figure.note} |"
        )
    lines.extend(f"| {reason} | | | | | | skipped | |" for reason in skipped)
    return "\n".join(lines)


def section(figures: Sequence[Figure], machine: Sequence[tuple[str, str]], command: str, skipped: Sequence[str]) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    described = "\n".join(f"- **{label}**: {value}" for label, value in machine)
    return (
        f"{START}\n## Latest run\n\n`{command}` on {stamp}. Median and p95 over the repeated runs of each "
        "figure; for a rate, p95 is the slow tail (the 5th percentile of the rate).\n\n"
        f"{described}\n\n{table(figures, skipped)}\n{END}"
    )


def write(text: str, path: Path = PERFORMANCE_MD) -> None:
    """Replace the generated section, or put it first when the file has none yet."""
    current = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n"
    if START in current and END in current:
        before, rest = current.split(START, 1)
        after = rest.split(END, 1)[1]
        path.write_text(before + text + after, encoding="utf-8")
        return
    title, _, body = current.partition("\n")
    path.write_text(f"{title}\n\n{text}\n{body}", encoding="utf-8")
