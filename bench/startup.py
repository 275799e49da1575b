"""Start-up cost of the `tutor` command, beside Python's own and its dependencies'.

Each command runs as a subprocess from the project folder, best of RUNS runs
(QUICK_RUNS with --quick), with a temporary TUTOR_HOME and no OPENAI_* or
TUTOR_* variables, so the offline engine is the one chosen. Each is timed twice:
wall time, and CPU time (user + system, from the kernel's account of the child),
which a busy machine disturbs less; the ratios are of CPU times.

  * `python -c pass` (reference: the interpreter alone);
  * `python -c "import pocketflow, yaml, rich.console"` (reference: the floor the
    dependencies set, which no session can go below: the flow, the lesson format
    and the screen);
  * `python -m pockettutor --help` (what `tutor --help` runs);
  * `python -m pockettutor learn LESSON` for a new learner (a fresh TUTOR_HOME each run),
    with "/quit" on standard input and NO_COLOR=1: the process shows the lesson's
    explanation and first question, reads /quit, saves and exits, so its time is
    the time to the first question on screen, plus the save on the way out. Twice:
    with an empty lesson cache (the first run after installing or editing a
    lesson), and with the cache a previous run left (every later run).

In the same run, `python -X importtime -m pockettutor learn LESSON` (same input, both
caches) must not import openai: the offline path never pays for the LLM client. The
check is the row field openai_imported, and the benchmark fails if it is True.
"""

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LESSON = "icl-vs-finetuning/what-llms-know"
RUNS = 7
QUICK_RUNS = 3
DEPENDENCIES = "import pocketflow, yaml, rich.console"

COLUMNS = [
    # (key, header, format)
    ("command", "command", "{}"),
    ("best_s", "best s", "{:.3f}"),
    ("best_cpu_s", "best CPU s", "{:.3f}"),
    ("vs_python", "CPU x python -c pass", "{:.2f}"),
    ("vs_dependencies", "CPU x dependency import", "{:.2f}"),
    ("openai_imported", "openai imported", "{}"),
]


def clean_env(home):
    # Bytecode is written and reused, as for an installed package (pip compiles it): with
    # PYTHONDONTWRITEBYTECODE, every module edited since it was last compiled would be
    # compiled again on every run, which no installed tutor does.
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "TUTOR_")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    env["TUTOR_HOME"] = str(home)
    env["NO_COLOR"] = "1"
    return env


def children_cpu_s():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(args, scratch, stdin=b"", check=None, cache=None):
    """(wall seconds, CPU seconds, stderr) of one subprocess in a fresh TUTOR_HOME
    under `scratch`, holding a copy of the cache folder `cache` when given; raises
    if it fails or `check(stdout)` is False."""
    home = Path(tempfile.mkdtemp(prefix="home-", dir=scratch))
    if cache is not None:
        shutil.copytree(cache, home / "cache")
    env = clean_env(home)
    cpu_before, start = children_cpu_s(), time.perf_counter()
    result = subprocess.run(args, input=stdin, capture_output=True, cwd=ROOT, env=env, timeout=120)
    seconds, cpu_seconds = time.perf_counter() - start, children_cpu_s() - cpu_before
    stdout = result.stdout.decode("utf-8", "replace")
    stderr = result.stderr.decode("utf-8", "replace")
    if result.returncode != 0 or (check is not None and not check(stdout)):
        raise RuntimeError(
            f"{' '.join(map(str, args))} exited {result.returncode}:\n{stdout[-2000:]}\n{stderr[-2000:]}"
        )
    return seconds, cpu_seconds, stderr


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


def warmed_cache(learn, scratch):
    """The cache folder one `tutor learn` leaves behind."""
    home = Path(tempfile.mkdtemp(prefix="seed-", dir=scratch))
    result = subprocess.run(learn, input=b"/quit\n", capture_output=True, cwd=ROOT, env=clean_env(home), timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"seeding the cache failed:\n{result.stderr.decode('utf-8', 'replace')[-2000:]}")
    return home / "cache"


def openai_check(importtime, which):
    modules = imported_modules(importtime)
    if not modules:
        raise RuntimeError("python -X importtime printed no imports: the openai check would see nothing")
    openai_lines = [line for line in importtime.splitlines() if "openai" in line.lower()]
    if openai_lines:
        raise RuntimeError(
            f"the offline path ({which}) imports openai ({len(openai_lines)} line(s) of -X importtime output):\n"
            + "\n".join(openai_lines[:10])
        )
    return modules


def run(quick=False):
    runs = QUICK_RUNS if quick else RUNS
    python = sys.executable
    learn = [python, "-m", "pockettutor", "learn", LESSON]
    cold, warm = f"tutor learn {LESSON} (to the first question, cold cache)", f"tutor learn {LESSON} (warm cache)"
    rows = []
    with tempfile.TemporaryDirectory(prefix="tutor-bench-startup-") as scratch:
        cache = warmed_cache(learn, scratch)
        commands = [
            ("python -c pass", [python, "-c", "pass"], b"", None, None),
            (f'python -c "{DEPENDENCIES}"', [python, "-c", DEPENDENCIES], b"", None, None),
            ("tutor --help", [python, "-m", "pockettutor", "--help"], b"", lambda out: "usage: tutor" in out, None),
            (cold, learn, b"/quit\n", shows_first_question, None),
            (warm, learn, b"/quit\n", shows_first_question, cache),
        ]
        # Interleaved rounds: a slow spell of the machine hits every command alike.
        times = {label: [] for label, *_ in commands}
        for _ in range(runs):
            for label, args, stdin, check, seed in commands:
                times[label].append(run_once(args, scratch, stdin, check, seed)[:2])
        importtime = [python, "-X", "importtime", *learn[1:]]
        cold_modules = openai_check(run_once(importtime, scratch, b"/quit\n", shows_first_question)[2], "cold cache")
        modules = openai_check(run_once(importtime, scratch, b"/quit\n", shows_first_question, cache)[2], "warm cache")
    heaviest = sorted((m for m in modules if m[2] == 0), key=lambda m: -m[1])[:5]
    python_cpu = min(cpu for _, cpu in times["python -c pass"])
    dependencies_cpu = min(cpu for _, cpu in times[commands[1][0]])
    for label, *_ in commands:
        best_cpu = min(cpu for _, cpu in times[label])
        rows.append(
            {
                "command": label,
                "best_s": min(wall for wall, _ in times[label]),
                "best_cpu_s": best_cpu,
                "runs": len(times[label]),
                "vs_python": best_cpu / python_cpu,
                "vs_dependencies": best_cpu / dependencies_cpu,
            }
        )
    for row, imported in ((rows[3], cold_modules), (rows[4], modules)):
        row["openai_imported"] = False
        row["modules_imported"] = len(imported)
    help_cpu, cold_cpu, warm_cpu = (rows[i]["best_cpu_s"] for i in (2, 3, 4))
    return {
        "name": "startup",
        "title": f"Start-up: best of {runs} runs of each command (offline engine, new learner)",
        "columns": [{"key": key, "header": header, "format": fmt} for key, header, fmt in COLUMNS],
        "rows": rows,
        "reference": {
            "python_c_pass_s": min(wall for wall, _ in times["python -c pass"]),
            "python_c_pass_cpu_s": python_cpu,
            "dependency_import_s": min(wall for wall, _ in times[commands[1][0]]),
            "dependency_import_cpu_s": dependencies_cpu,
            "runs": runs,
            "learn_modules_imported": len(modules),
            "openai_imported": False,
            "learn_heaviest_imports_ms": {name: us / 1000 for name, us, _ in heaviest},
            "help_net_of_dependencies_cpu_s": help_cpu - dependencies_cpu,
            "learn_cold_net_of_dependencies_cpu_s": cold_cpu - dependencies_cpu,
            "learn_warm_net_of_dependencies_cpu_s": warm_cpu - dependencies_cpu,
        },
        "notes": [
            f"each command run {runs} times, in interleaved rounds; the best run is shown",
            f"references (CPU): `python -c pass` {python_cpu:.3f} s; "
            f'`python -c "{DEPENDENCIES}"` {dependencies_cpu:.3f} s',
            f"CPU minus the dependency import: --help {1000 * (help_cpu - dependencies_cpu):+.0f} ms, "
            f"learn to the first question {1000 * (cold_cpu - dependencies_cpu):+.0f} ms with a cold cache, "
            f"{1000 * (warm_cpu - dependencies_cpu):+.0f} ms warm",
            "learn: a fresh TUTOR_HOME each run, stdin '/quit', NO_COLOR=1; it exits after the first question; "
            "warm: its cache folder a copy of the one a previous run left",
            f"`python -X importtime -m pockettutor learn {LESSON}`, warm cache: {len(modules)} modules "
            f"({len(cold_modules)} cold), openai among them: no; the heaviest top-level imports (cumulative, as "
            f"-X importtime measures them): " + ", ".join(f"{name} {us / 1000:.0f} ms" for name, us, _ in heaviest),
        ],
    }
