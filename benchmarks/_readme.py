"""Write a benchmark's figures into its own section of benchmarks/README.md."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parent / "README.md"


def write_section(name: str, text: str) -> None:
    """Replace the text between <!-- name:start --> and <!-- name:end --> (append if absent)."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    body = README.read_text() if README.exists() else "# Benchmarks\n"
    block = f"{start}\n{text.rstrip()}\n{end}"
    if start in body and end in body:
        a, b = body.index(start), body.index(end) + len(end)
        body = body[:a] + block + body[b:]
    else:
        body = body.rstrip() + "\n\n" + block + "\n"
    README.write_text(body)


def report(res: dict, tab: str, lines: list[str], seconds: float, json_path: Path | None) -> None:
    """Print a browser benchmark's table and verdict lines (and write its figures as JSON)."""
    import json

    print()
    print(tab)
    print()
    for line in lines:
        print(line)
    print(f"({seconds:.0f} s)")
    if json_path:
        json_path.write_text(json.dumps(res, indent=1))
