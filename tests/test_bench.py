"""`python -m bench --quick` runs the benchmarks end to end (no timing thresholds)."""

import json
import math
import subprocess
import sys

import pytest
from conftest import ROOT

# Each runs a benchmark: CI runs them, `pytest -m "not slow"` leaves them out.
pytestmark = pytest.mark.slow


def test_quick_bench_prints_the_table_and_writes_numeric_json(tmp_path):
    output = tmp_path / "latest.json"  # not bench/results/latest.json: keep the last real run
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["lessons", "courses"])
    assert set(lines[header + 1].replace(" ", "")) == {"-"}
    rows = [line.split() for line in lines[header + 2 : header + 5]]
    assert [row[0] for row in rows] == ["2", "5", "10"], result.stdout
    assert f"wrote {output}" in result.stdout

    report = json.loads(output.read_text(encoding="utf-8"))
    assert report["quick"] is True and report["failed"] == []
    (bench,) = [b for b in report["benchmarks"] if b["name"] == "lint_scale"]
    assert [row["lessons"] for row in bench["rows"]] == [2, 5, 10]
    keys = [column["key"] for column in bench["columns"]]
    for key in ("cli_s", "inproc_s", "cli_net_ms_per_lesson", "inproc_ms_per_lesson", "inproc_ratio", "cli_vs_python"):
        assert key in keys
    for row in bench["rows"]:
        for key in ("cli_s", "inproc_s", "inproc_ms_per_lesson", "inproc_ratio", "cli_vs_python"):
            value = row[key]
            assert isinstance(value, (int, float)) and not isinstance(value, bool), (key, value)
            assert math.isfinite(value) and value > 0, (key, value)
        assert row["courses"] == 1
    assert bench["rows"][0]["inproc_ratio"] == 1.0
    reference = bench["reference"]
    assert reference["python_c_pass_s"] > 0 and reference["cli_startup_s"] > 0


def test_prompt_size_stays_flat_while_the_whole_history_grows(tmp_path):
    stdout, result = run_quick("prompt_size", tmp_path / "prompt.json")
    assert "Prompt tokens per LLM call over a 50-answer session" in stdout
    rows = {row["turn"]: row for row in result["rows"]}
    assert list(rows) == [1, 10, 25, 50]
    reference = result["reference"]
    # The bounded prompt does not grow with the session; the whole history does, many times over.
    assert reference["last_10_calls_mean"] < 2 * reference["first_10_calls_mean"]
    assert rows[50]["history"] > 20 * rows[50]["bounded"]
    assert rows[50]["history"] > rows[25]["history"] > rows[10]["history"]


def run_quick(name, output):
    result = subprocess.run(
        [sys.executable, "-m", "bench", name, "--quick", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"wrote {output}" in result.stdout
    report = json.loads(output.read_text(encoding="utf-8"))
    assert report["quick"] is True and report["failed"] == []
    (bench,) = report["benchmarks"]
    assert bench["name"] == name
    return result.stdout, bench


def assert_positive(value, what):
    assert isinstance(value, (int, float)) and not isinstance(value, bool), (what, value)
    assert math.isfinite(value) and value > 0, (what, value)


def test_startup_times_each_command_and_the_offline_path_never_imports_openai(tmp_path):
    stdout, bench = run_quick("startup", tmp_path / "startup.json")
    assert "Start-up: best of 3 runs" in stdout
    lines = stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:3] == ["command", "best", "s"])
    assert set(lines[header + 1].replace(" ", "")) == {"-"}
    assert "python -c pass" in lines[header + 2]
    assert "tutor learn icl-vs-finetuning/what-llms-know" in lines[header + 5]
    assert "warm cache" in lines[header + 6]

    rows = bench["rows"]
    assert [row["command"] for row in rows][:3] == [
        "python -c pass",
        'python -c "import pocketflow, yaml, rich.console"',
        "tutor --help",
    ]
    assert rows[3]["command"].startswith("tutor learn icl-vs-finetuning/what-llms-know")
    assert "cold cache" in rows[3]["command"] and "warm cache" in rows[4]["command"]
    for row in rows:
        for key in ("best_s", "best_cpu_s", "vs_python", "vs_dependencies"):
            assert_positive(row[key], (row["command"], key))
        assert row["runs"] == 3
    assert rows[0]["vs_python"] == 1.0 and rows[1]["vs_dependencies"] == 1.0
    for learn in rows[3:]:
        assert learn["openai_imported"] is False
        assert learn["modules_imported"] > 0
    assert bench["reference"]["openai_imported"] is False
    for key in ("python_c_pass_s", "python_c_pass_cpu_s", "dependency_import_s", "dependency_import_cpu_s"):
        assert_positive(bench["reference"][key], key)


def test_turn_overhead_times_100_turns_beside_a_durable_append_and_a_full_save(tmp_path):
    stdout, bench = run_quick("turn_overhead", tmp_path / "turns.json")
    assert "100 scripted turns, offline engine" in stdout
    lines = stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:3] == ["measure", "n", "ms"])
    assert set(lines[header + 1].replace(" ", "")) == {"-"}
    assert lines[header + 2].split()[:3] == ["turn,", "median", "100"]

    reference = bench["reference"]
    assert reference["turns"] == 100
    assert reference["sessions"] >= 1
    for key in ("durable_append_ms", "sqlite_wal_commit_ms", "full_save_ms", "offline_grade_ms"):
        assert_positive(reference[key], key)
    # A learner process really ran on the benchmark's learner, and its own peak was measured.
    assert 10 < reference["learner_process_peak_mb"] < 1000
    assert reference["fsyncs_per_turn"] >= 1  # every turn is made durable
    rows = {row["measure"]: row for row in bench["rows"]}
    for measure in ("turn, median", "turn, p90", "turn, max"):
        assert rows[measure]["count"] == 100
    for row in bench["rows"]:
        for key in ("ms", "vs_append", "vs_first", "vs_save"):
            assert_positive(row[key], (row["measure"], key))
    assert rows["turn, median"]["ms"] <= rows["turn, p90"]["ms"] <= rows["turn, max"]["ms"]
    assert rows["turn, median of the first 10"]["vs_first"] == 1


def test_report_scale_times_the_report_beside_reading_every_line(tmp_path):
    stdout, bench = run_quick("report_scale", tmp_path / "report.json")
    assert "tutor report over 20 learners x 3 lessons" in stdout
    reference = bench["reference"]
    assert reference["transcripts"] == 60 and reference["events"] > 60 * 10
    measures = [row["measure"] for row in bench["rows"]]
    assert measures == ["json.loads every line (reference)", "tutor report --json", "tutor report -o report.html"]
    for row in bench["rows"]:
        for key in ("seconds", "cpu_seconds", "vs_reference", "vs_goal", "peak_mb"):
            assert_positive(row[key], (row["measure"], key))
    assert bench["rows"][0]["vs_reference"] == 1


def test_blind_accuracy_reports_each_set_with_its_figures(tmp_path):
    stdout, bench = run_quick("blind", tmp_path / "blind.json")
    assert "Grading accuracy on blind answers" in stdout
    assert [row["set"] for row in bench["rows"]] == sorted(p.stem for p in (ROOT / "bench/data/blind").glob("*.jsonl"))
    for row in bench["rows"]:
        assert row["n"] == 60
        for key in ("agreement", "false_accept", "correct_rejected"):
            assert 0 <= row[key] <= 1, (key, row)
        assert_positive(row["answers_per_second"], "answers_per_second")


def test_without_the_shared_data_the_saf_benchmark_is_skipped_not_failed(tmp_path, monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(ROOT))  # bench/ is not installed: it runs from a checkout
    import bench.saf
    from bench.__main__ import main

    monkeypatch.setattr(bench.saf, "DEFAULT_DATA", tmp_path / "no-shared-here")
    output = tmp_path / "report.json"
    assert main(["saf", "--quick", "--output", str(output)]) == 0
    report = json.loads(output.read_text(encoding="utf-8"))
    assert report["skipped"] == ["saf"] and report["failed"] == []
    assert "benchmark saf skipped: " in capsys.readouterr().out
