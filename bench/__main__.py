"""`python -m bench [--quick] [--output PATH] [NAME...]`: run the benchmarks, print
a table for each and write every figure to bench/results/latest.json (a --quick
run, whose figures mean little, to bench/results/quick.json instead).

A benchmark is a function `run(quick=False) -> dict` with keys name, title,
columns (key, header, format), rows (dicts of figures), and optionally reference
(dict of figures) and notes (lines of text). Add new ones to BENCHMARKS.
"""

import argparse
import json
import platform
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import MissingData, blind, lint_scale, prompt_size, report_scale, saf, startup, turn_overhead  # noqa: E402

BENCHMARKS = [lint_scale.run, prompt_size.run, startup.run, turn_overhead.run, report_scale.run, blind.run, saf.run]
RESULTS = ROOT / "bench" / "results"


def name_of(benchmark):
    return benchmark.__module__.rpartition(".")[2]


def cell(value, fmt):
    if value is None:
        return "-"
    try:
        return fmt.format(value)
    except (ValueError, TypeError):
        return str(value)


def table(result):
    columns = result["columns"]
    headers = [column["header"] for column in columns]
    body = [[cell(row.get(column["key"]), column["format"]) for column in columns] for row in result["rows"]]
    widths = [max(len(line[i]) for line in [headers, *body]) for i in range(len(columns))]
    lines = [result["title"], ""]
    lines.append("  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True)))
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.rjust(w) for c, w in zip(line, widths, strict=True)) for line in body]
    if result.get("notes"):
        lines.append("")
        lines += [f"  {note}" for note in result["notes"]]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"benchmarks to run (default: all of {', '.join(name_of(b) for b in BENCHMARKS)})",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, for the test suite")
    parser.add_argument(
        "--output", type=Path, help=f"JSON results file (default: {RESULTS}/latest.json; quick.json with --quick)"
    )
    args = parser.parse_args(argv)
    args.output = args.output or RESULTS / ("quick.json" if args.quick else "latest.json")
    known = {name_of(b): b for b in BENCHMARKS}
    unknown = [name for name in args.names if name not in known]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)} (known: {', '.join(known)})")
    selected = [known[name] for name in args.names] or BENCHMARKS

    results, failed, skipped = [], [], []
    for benchmark in selected:
        start = time.perf_counter()
        try:
            result = benchmark(quick=args.quick)
        except MissingData as reason:
            # Data given by path that is not there: say so, do not fail.
            skipped.append(name_of(benchmark))
            print(f"benchmark {name_of(benchmark)} skipped: {reason}\n", flush=True)
            continue
        except Exception:
            failed.append(name_of(benchmark))
            print(f"benchmark {name_of(benchmark)} failed:\n{traceback.format_exc()}", file=sys.stderr)
            continue
        result["wall_s"] = time.perf_counter() - start
        results.append(result)
        print(table(result))
        print(f"  ({result['name']}: {result['wall_s']:.1f} s)\n", flush=True)

    report = {
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "quick": args.quick,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "benchmarks": results,
        "failed": failed,
        "skipped": skipped,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
