"""Start-up cost of the `tutor` command, beside Python's own and its dependencies'.

Each command runs as a subprocess from the project folder, best of RUNS runs
(QUICK_RUNS with --quick), with a temporary TUTOR_HOME and no OPENAI_* or
TUTOR_* variables, so the offline engine is the one chosen:

  * `python -c pass` (reference: the interpreter alone);
  * `python -c "import pocketflow, yaml, rich"` (reference: the floor the
    dependencies set, which no tutor command can go below);
  * `python -m pockettutor --help` (what `tutor --help` runs);
  * `python -m pockettutor learn LESSON` for a new learner (a fresh TUTOR_HOME each run),
    with "/quit" on standard input and NO_COLOR=1: the process shows the lesson's
    explanation and first question, reads /quit, saves and exits, so its wall time
    is the time to the first question on screen, plus the save on the way out.

In the same run, `python -X importtime -m pockettutor learn LESSON` (same input) must
not import openai: the offline path never pays for the LLM client. The check is
the row field openai_imported, and the benchmark fails if it is True.
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LESSON = "icl-vs-finetuning/what-llms-know"
RUNS = 7
QUICK_RUNS = 3
DEPENDENCIES = "import pocketflow, yaml, rich"

COLUMNS = [
    # (key, header, format)
    ("command", "command", "{}"),
    ("best_s", "best s", "{:.3f}"),
    ("vs_python", "x python -c pass", "{:.2f}"),
    ("vs_dependencies", "x dependency import", "{:.2f}"),
    ("openai_imported", "openai imported", "{}"),
]


def clean_env(home):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "TUTOR_"))}
    env["TUTOR_HOME"] = str(home)
    env["NO_COLOR"] = "1"
    return env


def run_once(args, scratch, stdin=b"", check=None):
    """(seconds, stderr) of one subprocess in a fresh TUTOR_HOME under `scratch`;
    raises if it fails or `check(stdout)` is False."""
    home = Path(tempfile.mkdtemp(prefix="home-", dir=scratch))
    env = clean_env(home)
    start = time.perf_counter()
    result = subprocess.run(args, input=stdin, capture_output=True, cwd=ROOT, env=env, timeout=120)
    seconds = time.perf_counter() - start
    stdout = result.stdout.decode("utf-8", "replace")
    stderr = result.stderr.decode("utf-8", "replace")
    if result.returncode != 0 or (check is not None and not check(stdout)):
        raise RuntimeError(
            f"{' '.join(map(str, args))} exited {result.returncode}:\n{stdout[-2000:]}\n{stderr[-2000:]}"
        )
    return seconds, stderr


def best_of(args, scratch, runs, stdin=b"", check=None):
    return min(run_once(args, scratch, stdin, check)[0] for _ in range(runs))


def shows_first_question(stdout):
    return "Question" in stdout and "Progress saved" in stdout


def imported_modules(importtime_stderr):
    """(name, cumulative microseconds, nesting depth) of each import in
    `python -X importtime` output, in the order printed."""
    modules = []
    for line in importtime_stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        _, cumulative, name = line.split("|")
        if not cumulative.strip().isdigit():
            continue  # the header line
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        modules.append((name.strip(), int(cumulative), depth))
    return modules


def run(quick=False):
    runs = QUICK_RUNS if quick else RUNS
    python = sys.executable
    learn = [python, "-m", "pockettutor", "learn", LESSON]
    commands = [
        ("python -c pass", [python, "-c", "pass"], b"", None),
        (f'python -c "{DEPENDENCIES}"', [python, "-c", DEPENDENCIES], b"", None),
        ("tutor --help", [python, "-m", "pockettutor", "--help"], b"", lambda out: "usage: tutor" in out),
        (f"tutor learn {LESSON} (to the first question)", learn, b"/quit\n", shows_first_question),
    ]
    rows = []
    with tempfile.TemporaryDirectory(prefix="tutor-bench-startup-") as scratch:
        # Interleaved rounds: a slow spell of the machine hits every command alike.
        times = {label: [] for label, *_ in commands}
        for _ in range(runs):
            for label, args, stdin, check in commands:
                times[label].append(run_once(args, scratch, stdin, check)[0])
        _, importtime = run_once([python, "-X", "importtime", *learn[1:]], scratch, b"/quit\n", shows_first_question)
    modules = imported_modules(importtime)
    if not modules:
        raise RuntimeError("python -X importtime printed no imports: the openai check would see nothing")
    openai_lines = [line for line in importtime.splitlines() if "openai" in line.lower()]
    heaviest = sorted((m for m in modules if m[2] == 0), key=lambda m: -m[1])[:5]
    openai_imported = bool(openai_lines)
    python_s = min(times["python -c pass"])
    dependencies_s = min(times[commands[1][0]])
    for label, *_ in commands:
        best = min(times[label])
        rows.append(
            {
                "command": label,
                "best_s": best,
                "runs": len(times[label]),
                "vs_python": best / python_s,
                "vs_dependencies": best / dependencies_s,
            }
        )
    learn_row = rows[-1]
    learn_row["openai_imported"] = openai_imported
    learn_row["modules_imported"] = len(modules)
    if openai_imported:
        raise RuntimeError(
            f"the offline path imports openai ({len(openai_lines)} line(s) of -X importtime output):\n"
            + "\n".join(openai_lines[:10])
        )
    help_s, learn_s = rows[2]["best_s"], learn_row["best_s"]
    return {
        "name": "startup",
        "title": f"Start-up: best of {runs} runs of each command (offline engine, new learner)",
        "columns": [{"key": key, "header": header, "format": fmt} for key, header, fmt in COLUMNS],
        "rows": rows,
        "reference": {
            "python_c_pass_s": python_s,
            "dependency_import_s": dependencies_s,
            "runs": runs,
            "learn_modules_imported": len(modules),
            "openai_imported": openai_imported,
            "learn_heaviest_imports_ms": {name: us / 1000 for name, us, _ in heaviest},
            "help_net_of_dependencies_s": help_s - dependencies_s,
            "learn_net_of_dependencies_s": learn_s - dependencies_s,
        },
        "notes": [
            f"each command run {runs} times, in interleaved rounds; the best run is shown",
            f'references: `python -c pass` {python_s:.3f} s; `python -c "{DEPENDENCIES}"` {dependencies_s:.3f} s',
            f"minus the dependency import: --help {1000 * (help_s - dependencies_s):+.0f} ms, "
            f"learn to the first question {1000 * (learn_s - dependencies_s):+.0f} ms",
            "learn: a fresh TUTOR_HOME each run, stdin '/quit', NO_COLOR=1; it exits after the first question",
            f"`python -X importtime -m pockettutor learn {LESSON}`: {len(modules)} modules, openai among them: "
            f"{'yes' if openai_imported else 'no'}; the heaviest top-level imports (cumulative, as "
            f"-X importtime measures them): " + ", ".join(f"{name} {us / 1000:.0f} ms" for name, us, _ in heaviest),
        ],
    }
