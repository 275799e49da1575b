"""The learner model from the outside: a profile built by a scripted session,
then `tutor progress` and `tutor profile` run on it as real processes."""

import pytest
import yaml
from conftest import ROOT, run_tutor

from pockettutor.utils.profiles import ProfileStore

FIRST_LESSON = ROOT / "tests" / "sessions" / "first_lesson.yaml"


def tutor(home, *args, stdin=""):
    return run_tutor(home, *args, stdin=stdin, env={"COLUMNS": "120"})


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A learner who went through Course 1's first lesson as first_lesson.yaml scripts it."""
    home = tmp_path_factory.mktemp("learner")
    script = yaml.safe_load(FIRST_LESSON.read_text())
    result = tutor(home, "learn", script["lesson"], "--profile", "newcomer", stdin="\n".join(script["turns"]) + "\n")
    assert result.returncode == 0, result.stderr
    assert "Lesson complete" in result.stdout
    return home


def test_the_session_left_mastery_reviews_and_a_streak_in_the_profile(home):
    profile = ProfileStore(home).load_or_create("newcomer")
    ref = "icl-vs-finetuning/what-llms-know"
    assert set(profile.mastery) == {
        f"{ref}/{c}" for c in ("knowledge-in-weights", "context-flows-through", "output-versus-model")
    }
    # Every concept ends mastered; the one that began with a wrong answer ends lowest.
    values = {key.rsplit("/", 1)[1]: value for key, value in profile.mastery.items()}
    assert min(values.values()) >= 0.95 and min(values, key=values.get) == "knowledge-in-weights"
    assert len(profile.reviews) == 6 and len(profile.active_days) == 1


def test_progress_shows_mastery_bars_reviews_and_the_streak(home):
    result = tutor(home, "progress", "--profile", "newcomer")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    [row] = [line for line in out.splitlines() if 'What Does an LLM Actually "Know"?' in line]
    assert "complete, all concepts mastered" in " ".join(out.split()) and "█" in row and "3/3" in row
    assert "Reviews due: " in out and "Streak: 1 day" in out and "1 days" not in out
    assert "Analogies that work for you: " in out and "led to a right answer" in out


@pytest.mark.slow  # several tutor processes in a row
def test_profile_show_list_and_use(home):
    shown = tutor(home, "profile", "show", "newcomer")
    assert shown.returncode == 0, shown.stderr
    assert "Lessons finished: 1" in shown.stdout and "streak: 1 day" in shown.stdout
    assert tutor(home, "profile", "list").stdout.split() == ["newcomer"]
    assert tutor(home, "profile", "use", "newcomer").returncode == 0
    assert tutor(home, "profile", "list").stdout.split() == ["*", "newcomer"]
    assert "Lessons finished: 1" in tutor(home, "profile", "show").stdout  # the one in use
    unknown = tutor(home, "profile", "use", "nobody")
    assert unknown.returncode == 1 and "no profile 'nobody'" in unknown.stderr


def test_profile_new_asks_the_first_run_questions(tmp_path):
    result = tutor(tmp_path, "profile", "new", "ada", stdin="I train small CNNs\n2\nshort explanations\n")
    assert result.returncode == 0, result.stderr
    profile = ProfileStore(tmp_path).load_or_create("ada")
    assert (profile.experience, profile.thinking_style, profile.preferences) == (
        "I train small CNNs",
        "visual",
        ["short explanations"],
    )
    again = tutor(tmp_path, "profile", "new", "ada", stdin="")
    assert again.returncode == 1 and "already exists" in again.stderr


def test_the_first_run_questions_can_be_skipped(tmp_path):
    assert tutor(tmp_path, "profile", "new", "bo", stdin="/skip\n").returncode == 0
    profile = ProfileStore(tmp_path).load_or_create("bo")
    assert (profile.experience, profile.thinking_style) == ("", None)
    assert tutor(tmp_path, "profile", "new", "cy", "--style", "mechanical", "--no-questions").returncode == 0
    assert ProfileStore(tmp_path).load_or_create("cy").thinking_style == "mechanical"


def test_export_writes_the_lesson_record_with_the_answers_verbatim(home, tmp_path):
    out = tmp_path / "record.md"
    result = tutor(home, "export", "icl-vs-finetuning/what-llms-know", "-o", str(out), "--profile", "newcomer")
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    script = yaml.safe_load(FIRST_LESSON.read_text())
    assert text.startswith('# What Does an LLM Actually "Know"?')
    for turn in script["turns"]:
        if not turn.startswith("/"):
            assert "> " + turn in text  # every answer, verbatim
    assert "## Concept 1/3: The Stone: Knowledge Carved into the Weights" in text
    assert "Picture a block of stone" in text  # the teaching as delivered
    assert "## Let's look at it another way" in text and "**Follow-up:**" in text
    assert text.count("**Evaluation:** Correct") == 6 and "**Evaluation:** Not yet" in text
    assert "*You typed `/analogy`*" in text and "*Session ended: complete*" in text
    missing = tutor(home, "export", "lora/mechanics", "--profile", "newcomer")
    assert missing.returncode == 1 and "no record of lora/mechanics" in missing.stderr


def make_due(home, name="newcomer"):
    """Move every review card of the profile a day into the past: time passing."""
    store = ProfileStore(home)
    profile = store.load_or_create(name)
    for card in profile.reviews.values():
        card["due"] = "2026-01-01T00:00:00+00:00"
    store.save(profile)


@pytest.mark.slow  # several tutor processes in a row
def test_review_asks_what_is_due_and_reschedules_it(home, tmp_path):
    import shutil

    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    nothing = tutor(copy, "review", "--profile", "newcomer")
    assert nothing.returncode == 0 and "Nothing is due for review" in nothing.stdout
    make_due(copy)
    start = tutor(copy, "learn", "--profile", "newcomer", stdin="/quit\n")
    assert "6 review(s) due: `tutor review`" in start.stdout  # said at the start of a session
    result = tutor(
        copy,
        "review",
        "--profile",
        "newcomer",
        "--limit",
        "2",
        stdin="no. it only knows what was in its training data up to march, and its weights have stayed frozen since\n"
        "no idea\n",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Review ") >= 2 and "Reviewed 2 question(s), " in result.stdout
    assert "Not yet." in result.stdout and "To think over:" in result.stdout
    profile = ProfileStore(copy).load_or_create("newcomer")
    rescheduled = [key for key, card in profile.reviews.items() if card["due"] != "2026-01-01T00:00:00+00:00"]
    assert len(rescheduled) == 2


@pytest.mark.slow  # several tutor processes in a row
def test_exam_scores_finds_weak_spots_and_plans_remedial_lessons(home, tmp_path):
    import shutil

    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    answers = [
        "the examples teach the model sentiment, it learns it from them on the spot",
        "/skip",
        "no. it only knows what was in its training data up to march, and its weights have stayed frozen since",
    ]
    started = tutor(copy, "exam", "icl-vs-finetuning", "--questions", "2", "--profile", "newcomer", stdin="/quit\n")
    assert "This exam covers the 1 of 5 lessons of icl-vs-finetuning you have started" in started.stdout
    assert "Exam question 1/2: The Stone" in started.stdout
    result = tutor(
        copy,
        "exam",
        "icl-vs-finetuning",
        "--all",
        "--questions",
        "4",
        "--profile",
        "newcomer",
        stdin="\n".join(answers) + "\n",
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    flat = " ".join(out.split())
    assert "Question by question:" in flat
    assert "Your answer (not yet): the examples teach the model sentiment" in flat
    assert "Your answer (skipped): (no answer)" in flat and "A good answer:" in flat
    assert "Exam question 1/4" in out and "Hint" not in out
    assert "Score: 0/4" in out and "You stopped after 3 of 4 questions" in out
    assert "Weak spots:" in out and "Remedial plan:" in out
    assert "tutor learn icl-vs-finetuning/in-context-learning" in out
    # Weakest first: the mastered lesson's concepts come after every unseen one.
    assert out.index("Exam question 1/4") < out.index("A Few Examples in the Prompt")
    unknown = tutor(copy, "exam", "nonsense")
    assert unknown.returncode == 1 and "unknown course 'nonsense'" in unknown.stderr


def test_an_unreadable_profile_is_reported_in_one_line_where_it_went(tmp_path):
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "learner.yaml").write_text("name: learner\nlessons: {oops\n")
    result = tutor(tmp_path, "learn", "icl-vs-finetuning/what-llms-know", stdin="/quit\n")
    assert result.returncode == 0, result.stderr
    [aside] = folder.glob("learner.unreadable-*.yaml")
    assert aside.read_text() == "name: learner\nlessons: {oops\n"
    said = " ".join(result.stdout.split())  # the notice may wrap at the terminal's width
    assert "Your profile could not be read (line 3: invalid YAML" in said
    assert f"it was moved to {aside} and a fresh profile was restored." in said


def test_export_keeps_an_existing_files_mode_and_links_and_refuses_a_folder(home, tmp_path):
    import os
    import stat

    existing = tmp_path / "shared.md"
    existing.write_text("old")
    existing.chmod(0o644)
    os.link(existing, tmp_path / "hard-link.md")
    link = tmp_path / "via-link.md"
    link.symlink_to(existing)
    for target in (existing, link):
        result = tutor(home, "export", "icl-vs-finetuning/what-llms-know", "-o", str(target), "--profile", "newcomer")
        assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(existing.stat().st_mode) == 0o644 and link.is_symlink()
    assert (tmp_path / "hard-link.md").read_text().startswith('# What Does an LLM Actually "Know"?')
    folder = tutor(home, "export", "icl-vs-finetuning/what-llms-know", "-o", str(tmp_path), "--profile", "newcomer")
    assert folder.returncode == 1 and folder.stderr.count("\n") == 1 and "is a folder" in folder.stderr
    device = tutor(home, "export", "icl-vs-finetuning/what-llms-know", "-o", "/dev/null", "--profile", "newcomer")
    assert device.returncode == 0 and stat.S_ISCHR(os.stat("/dev/null").st_mode)
