"""`python -m bench --quick` runs the benchmarks end to end (no timing thresholds)."""

import json
import math
import subprocess
import sys

from conftest import ROOT


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
    output = tmp_path / "prompt.json"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "prompt_size", "--quick", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Prompt tokens per LLM call over a 50-answer session" in result.stdout
    (result,) = json.loads(output.read_text(encoding="utf-8"))["benchmarks"]
    rows = {row["turn"]: row for row in result["rows"]}
    assert list(rows) == [1, 10, 25, 50]
    reference = result["reference"]
    # The bounded prompt does not grow with the session; the whole history does, many times over.
    assert reference["last_10_calls_mean"] < 2 * reference["first_10_calls_mean"]
    assert rows[50]["history"] > 20 * rows[50]["bounded"]
    assert rows[50]["history"] > rows[25]["history"] > rows[10]["history"]
