"""How `tutor lint` scales with the size of a library.

Libraries of 10, 100 and 1,000 lessons (2, 5 and 10 with --quick) are generated
from the shipped lesson lessons/lora/mechanics.yaml, copied under new ids into
courses of up to ten lessons each, with course.yaml files and a copy of
lessons/vocabulary.yaml. Each library must lint clean, so the normal path is
timed, not the error path.

Measured, in one run:
  * `python -m pockettutor lint --no-cache DIR` as a subprocess (best of up to 3 runs; 1 with
    --quick), with the peak memory of the process: every file checked;
  * `python -m pockettutor lint DIR` a second time over the unchanged library (best of up to 3 runs,
    after one run that fills the cache), against the goal of 2 s at 1,000 lessons;
  * `utils.lint.lint([DIR])` in-process (best of up to 3 runs), without start-up;
  * references: `python -c pass`, and `python -m pockettutor lint EMPTY_DIR` (start-up and
    imports of the tutor, no lessons).

A measurement stops repeating once it has used BUDGET_S seconds (a 1,000-lesson
run takes minutes); the `runs` columns say how many runs the best is taken from.
Per-lesson costs are compared with the smallest library: a ratio near 1 means
linear growth, well above 1 means worse than linear. The CLI's per-lesson cost is
taken net of its start-up (the empty-library run), since start-up dominates small
libraries.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE_LESSON = ROOT / "lessons" / "lora" / "mechanics.yaml"
SOURCE_VOCABULARY = ROOT / "lessons" / "vocabulary.yaml"
SIZES = (10, 100, 1000)
QUICK_SIZES = (2, 5, 10)
LESSONS_PER_COURSE = 10
REPEATS = 3
BUDGET_S = 60.0

COLUMNS = [
    # (key, header, format)
    ("lessons", "lessons", "{:d}"),
    ("courses", "courses", "{:d}"),
    ("cli_s", "cli s", "{:.3f}"),
    ("cli_runs", "runs", "{:d}"),
    ("cli_vs_python", "x py", "{:.1f}"),
    ("cli_net_ms_per_lesson", "cli net ms/lesson", "{:.1f}"),
    ("cli_net_ratio", "ratio", "{:.2f}"),
    ("cli_peak_mb", "cli peak MB", "{:.0f}"),
    ("inproc_s", "in-process s", "{:.3f}"),
    ("inproc_runs", "runs", "{:d}"),
    ("inproc_ms_per_lesson", "in-process ms/lesson", "{:.1f}"),
    ("inproc_ratio", "ratio", "{:.2f}"),
    ("warm_s", "unchanged s", "{:.3f}"),
    ("warm_vs_cold", "/ cli s", "{:.3f}"),
]


def make_library(root, lessons):
    """Write a library of `lessons` copies of the shipped lesson under `root`;
    returns the number of courses."""
    text = SOURCE_LESSON.read_text(encoding="utf-8")
    if len(re.findall(r"(?m)^id: mechanics$", text)) != 1:
        raise RuntimeError(f"{SOURCE_LESSON}: expected one top-level 'id: mechanics' line")
    # The copies stand alone: the shipped lesson's prerequisites do not exist here.
    text = re.sub(r"(?m)^prerequisites: .*$", "prerequisites: []", text)
    root.mkdir(parents=True)
    ids = [f"lesson-{i:04d}" for i in range(1, lessons + 1)]
    courses = [ids[i : i + LESSONS_PER_COURSE] for i in range(0, lessons, LESSONS_PER_COURSE)]
    for number, course_lessons in enumerate(courses, 1):
        course_id = f"course-{number:03d}"
        folder = root / course_id
        folder.mkdir()
        (folder / "course.yaml").write_text(
            f"format: 1\nid: {course_id}\nnumber: {number}\ntitle: Course {number}\n"
            f"summary: A generated course for the lint benchmark.\nprerequisites: []\n"
            f"lessons: [{', '.join(course_lessons)}]\n",
            encoding="utf-8",
        )
        for lesson_id in course_lessons:
            (folder / f"{lesson_id}.yaml").write_text(
                re.sub(r"(?m)^id: mechanics$", f"id: {lesson_id}", text), encoding="utf-8"
            )
    # The vocabulary's introduced_in names shipped lessons; point it at a lesson that exists.
    vocabulary = SOURCE_VOCABULARY.read_text(encoding="utf-8")
    (root / "vocabulary.yaml").write_text(
        re.sub(r"(?m)introduced_in: \S+$", f"introduced_in: course-001/{ids[0]}", vocabulary), encoding="utf-8"
    )
    return len(courses)


def best_of(measure, repeats=REPEATS, budget=BUDGET_S):
    """Run `measure()` -> (seconds, extra) up to `repeats` times, stopping once
    `budget` seconds are used; returns (best seconds, its extra, runs)."""
    results, used = [], 0.0
    while len(results) < repeats and (not results or used < budget):
        seconds, extra = measure()
        results.append((seconds, extra))
        used += seconds
    seconds, extra = min(results, key=lambda item: item[0])
    return seconds, extra, len(results)


def run_process(args, env, scratch):
    """(seconds, peak RSS in MB or None) of one subprocess; raises if it fails."""
    with open(scratch / "out.txt", "w+b") as out:
        start = time.perf_counter()
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
        if hasattr(os, "wait4"):
            _, status, usage = os.wait4(process.pid, 0)
            seconds = time.perf_counter() - start
            process.returncode = code = os.waitstatus_to_exitcode(status)
            peak = usage.ru_maxrss / 1024  # kilobytes on Linux
        else:  # pragma: no cover - not POSIX
            code = process.wait()
            seconds, peak = time.perf_counter() - start, None
        out.seek(0)
        output = out.read().decode("utf-8", "replace")
    return seconds, peak, code, output


def cli(args, env, scratch, repeats, expect_clean=True):
    def measure():
        seconds, peak, code, output = run_process(args, env, scratch)
        if code != 0 or (expect_clean and "0 errors, 0 warnings" not in output):
            raise RuntimeError(f"{' '.join(map(str, args))} exited {code}:\n{output[-2000:]}")
        return seconds, peak

    return best_of(measure, repeats)


def in_process(root, repeats):
    from pockettutor.utils.lint import lint

    def measure():
        start = time.perf_counter()
        problems = lint([root])
        seconds = time.perf_counter() - start
        if problems:
            raise RuntimeError(f"the generated library at {root} does not lint clean: {problems[:3]}")
        return seconds, None

    seconds, _, runs = best_of(measure, repeats)
    return seconds, runs


def run(quick=False):
    sizes = QUICK_SIZES if quick else SIZES
    repeats = 1 if quick else REPEATS  # --quick checks the benchmark runs, not the figures
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "TUTOR_"))}
    python = sys.executable
    rows = []
    with tempfile.TemporaryDirectory(prefix="tutor-bench-lint-") as tmp:
        tmp = Path(tmp)
        env["TUTOR_HOME"] = str(tmp / "home")
        python_s, _, python_runs = best_of(lambda: run_process([python, "-c", "pass"], env, tmp)[:2], repeats=5)
        empty = tmp / "empty"
        empty.mkdir()
        startup_s, startup_peak, startup_runs = cli(
            [python, "-m", "pockettutor", "lint", str(empty)], env, tmp, repeats
        )
        for size in sizes:
            root = tmp / f"library-{size}"
            courses = make_library(root, size)
            lint_root = [python, "-m", "pockettutor", "lint", str(root)]
            cli_s, peak, cli_runs = cli([*lint_root[:-1], "--no-cache", str(root)], env, tmp, repeats)
            cli(lint_root, env, tmp, 1)  # fills the cache
            warm_s, _, _ = cli(lint_root, env, tmp, repeats)
            inproc_s, inproc_runs = in_process(root, repeats)
            rows.append(
                {
                    "lessons": size,
                    "courses": courses,
                    "cli_s": cli_s,
                    "cli_runs": cli_runs,
                    "cli_vs_python": cli_s / python_s,
                    "cli_ms_per_lesson": 1000 * cli_s / size,
                    "cli_net_ms_per_lesson": 1000 * max(cli_s - startup_s, 0.0) / size,
                    "cli_peak_mb": peak,
                    "inproc_s": inproc_s,
                    "inproc_runs": inproc_runs,
                    "inproc_ms_per_lesson": 1000 * inproc_s / size,
                    "warm_s": warm_s,
                    "warm_vs_cold": warm_s / cli_s,
                }
            )
            shutil.rmtree(root)  # 1,000 lessons are ~50 MB
    base = rows[0]
    for row in rows:
        row["cli_net_ratio"] = _ratio(row["cli_net_ms_per_lesson"], base["cli_net_ms_per_lesson"])
        row["inproc_ratio"] = _ratio(row["inproc_ms_per_lesson"], base["inproc_ms_per_lesson"])
    return {
        "name": "lint_scale",
        "title": f"tutor lint on generated libraries ({', '.join(map(str, sizes))} lessons)",
        "columns": [{"key": key, "header": header, "format": fmt} for key, header, fmt in COLUMNS],
        "rows": rows,
        "reference": {
            "python_c_pass_s": python_s,
            "python_c_pass_runs": python_runs,
            "cli_startup_s": startup_s,
            "cli_startup_runs": startup_runs,
            "cli_startup_vs_python": startup_s / python_s,
            "cli_startup_peak_mb": startup_peak,
            "lesson_bytes": SOURCE_LESSON.stat().st_size,
        },
        "notes": [
            f"reference: `python -c pass` {python_s:.3f} s; `python -m pockettutor lint EMPTY_DIR` (start-up) "
            f"{startup_s:.3f} s = {startup_s / python_s:.1f}x python",
            f"each lesson is a copy of {SOURCE_LESSON.relative_to(ROOT)} ({SOURCE_LESSON.stat().st_size:,} bytes)",
            "cli s: best wall time of `python -m pockettutor lint --no-cache DIR`; x py: that / `python -c pass`",
            "unchanged s: best wall time of a second `python -m pockettutor lint DIR` (the goal: 2 s at 1,000 lessons)",
            "cli net ms/lesson: (cli s - start-up) / lessons; in-process: utils.lint.lint() only",
            f"ratio: ms/lesson / ms/lesson at {base['lessons']} lessons (1 = linear)",
            f"runs: best of up to {repeats}, fewer once a measurement has used {BUDGET_S:.0f} s",
        ],
    }


def _ratio(value, base):
    return value / base if base else None  # None (null in JSON): no net cost to compare with
