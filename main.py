"""The `tutor` command line. It parses arguments, builds a session and runs the
graph; every error is handled here, once.

Exit statuses:
    0    success
    1    a problem with the input: lesson or profile file, command line,
         replay script, or a `replay --check` that found a difference; or a file
         or folder the tutor must use that the machine refuses (read-only, full,
         not a folder, a name too long, no permission)
    70   an internal error (a bug): one line, or a traceback with --debug
    130  interrupted with Ctrl-C (progress is saved first)
    141  the reader of the output went away (e.g. `tutor courses --json | head`)
"""

import argparse
import json
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from pockettutor import __version__
from pockettutor.utils.errors import ReplayMismatch, TutorError, UsageError, printable

EXIT_OK, EXIT_ERROR, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 0, 1, 70, 130, 141


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit status 1."""

    def error(self, message):
        raise UsageError(f"{message} (see `tutor --help`)")


def build_parser():
    common = Parser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show a traceback on errors")
    parser = Parser(prog="tutor", description="PocketTutor: a Socratic tutor for the terminal.", parents=[common])
    parser.add_argument("--version", action="version", version=version_line())
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    model = Parser(add_help=False)
    model.add_argument("--model", metavar="NAME", help="the LLM's model for this run (default: `tutor config show`)")
    as_json = Parser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="print JSON for scripts")

    learn = commands.add_parser("learn", parents=[common, model], help="start or resume a lesson (the default command)")
    learn.add_argument(
        "lesson", nargs="?", metavar="COURSE/LESSON", help="a lesson id from `tutor courses`"
    ).completer = complete_lessons
    learn.add_argument(
        "--profile", metavar="NAME", help="learner profile (default: $TUTOR_PROFILE or 'learner')"
    ).completer = complete_profiles
    engine = learn.add_mutually_exclusive_group()
    engine.add_argument("--offline", action="store_true", help="use the offline engine even if an LLM is configured")
    engine.add_argument("--llm", action="store_true", help="use the LLM engine (OPENAI_API_KEY / OPENAI_BASE_URL)")

    courses = commands.add_parser("courses", parents=[common, as_json], help="list the courses and lessons")
    courses.add_argument("--profile", metavar="NAME", help="show this learner's status")

    lint = commands.add_parser("lint", parents=[common], help="check lesson files; every problem at its line")
    lint.add_argument("paths", nargs="*", metavar="PATH", help="files or lesson folders (default: every lesson folder)")
    lint.add_argument("--json", action="store_true", help="print the problems as JSON")
    lint.add_argument("--no-cache", action="store_true", help="check every file again, ignoring earlier runs' findings")

    schema = commands.add_parser("schema", parents=[common], help="print the JSON Schema of a file kind")
    schema.add_argument("kind", nargs="?", default="lesson", choices=["lesson", "course", "vocabulary", "paths"])

    new = commands.add_parser("new", parents=[common], help="write a new course or lesson file that lints clean")
    new.add_argument("kind", choices=["course", "lesson"])
    new.add_argument("names", nargs="+", metavar="NAME", help="course: NAME; lesson: COURSE NAME")
    new.add_argument("--into", metavar="DIR", help="the lesson folder to write in (default: yours, see `tutor doctor`)")

    path = commands.add_parser("path", parents=[common, as_json], help="list the reading paths, or show one in order")
    path.add_argument("name", nargs="?", help="a reading path id")
    path.add_argument("--profile", metavar="NAME", help="show this learner's status")

    profile = commands.add_parser("profile", parents=[common], help="create, list, show or choose learner profiles")
    actions = profile.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser, required=True)
    profile_new = actions.add_parser("new", parents=[common], help="create a profile (asks the first-run questions)")
    profile_new.add_argument("name")
    profile_new.add_argument("--style", choices=["mechanical", "visual", "mathematical", "everyday"])
    profile_new.add_argument("--experience", metavar="TEXT")
    profile_new.add_argument("--no-questions", action="store_true", help="do not ask the first-run questions")
    actions.add_parser("list", parents=[common], help="the profiles, the one in use marked")
    profile_show = actions.add_parser("show", parents=[common, as_json], help="what the tutor knows about a learner")
    profile_show.add_argument("name", nargs="?", help="default: the profile in use")
    profile_use = actions.add_parser("use", parents=[common], help="make a profile the default")
    profile_use.add_argument("name").completer = complete_profiles
    for action, what in (
        ("delete", "delete a profile and all its records"),
        ("reset", "start a learner over: progress and records go, who they are stays"),
        ("rename", "give a profile, and its records, a new name"),
    ):
        change = actions.add_parser(action, parents=[common], help=what)
        change.add_argument("name").completer = complete_profiles
        if action == "rename":
            change.add_argument("new_name", metavar="NEW_NAME")
        change.add_argument("--yes", action="store_true", help="do not ask first")

    review = commands.add_parser(
        "review", parents=[common, model, as_json], help="answer the questions due for spaced review"
    )
    review.add_argument("--limit", type=int, default=20, metavar="N", help="at most N questions (default 20)")
    exam = commands.add_parser(
        "exam", parents=[common, model, as_json], help="a remedial exam of a course, weakest concepts first"
    )
    exam.add_argument("course", metavar="COURSE", help="a course id from `tutor courses`")
    exam.add_argument("--questions", type=int, default=15, metavar="N", help="how many questions (default 15)")
    exam.add_argument(
        "--all", action="store_true", help="ask about every lesson of the course, not only those you have started"
    )
    for quiz in (review, exam):
        quiz.add_argument("--profile", metavar="NAME", help="learner profile (default: the one in use)")
        engine = quiz.add_mutually_exclusive_group()
        engine.add_argument("--offline", action="store_true", help="grade offline even if an LLM is configured")
        engine.add_argument("--llm", action="store_true", help="grade with the LLM (OPENAI_API_KEY / OPENAI_BASE_URL)")

    export = commands.add_parser("export", parents=[common], help="a lesson's record as Markdown")
    export.add_argument("lesson", nargs="?", metavar="COURSE/LESSON", help="default: the current lesson")
    export.add_argument("-o", "--output", metavar="FILE.md", help="write here instead of printing")
    export.add_argument("--profile", metavar="NAME", help="learner profile (default: the one in use)")

    report = commands.add_parser(
        "report", parents=[common, as_json], help="what learners struggle with, from their transcripts (instructors)"
    )
    report.add_argument(
        "paths",
        nargs="+",
        metavar="DIR",
        help="learners' data folders (as TUTOR_HOME lays them out), folders of transcripts, or transcript files",
    )
    report.add_argument("--course", metavar="COURSE", help="only this course")
    report.add_argument(
        "-o", "--output", metavar="FILE", help="write the report here: .html (a page with charts), .md or .json"
    )
    report.add_argument("--anonymous", action="store_true", help="no learner's name anywhere (learner 1, 2, ...)")

    progress = commands.add_parser(
        "progress", parents=[common, as_json], help="mastery per lesson, reviews due, streak"
    )
    progress.add_argument("--profile", metavar="NAME", help="learner profile (default: the one in use)")

    grade = commands.add_parser(
        "grade", parents=[common, model], help="grade an answer with its evidence (for rubric authors)"
    )
    grade.add_argument("question", metavar="COURSE/LESSON/CONCEPT/QUESTION", help="a question, or - for JSON lines")
    grade.add_argument("answer", nargs="?", help="the answer to grade")
    grade.add_argument("--json", action="store_true", help="print JSON (with -: one JSON line per input line)")
    grade.add_argument("--llm", action="store_true", help="grade with the LLM (OPENAI_API_KEY / OPENAI_BASE_URL)")

    disputes = commands.add_parser(
        "disputes",
        parents=[common, as_json],
        help="the verdicts learners disputed; `resolve` makes them samples",
        usage="tutor disputes [DIR...] [--all] [--json]\n"
        "       tutor disputes resolve [DIR...] [ID...] [--label correct|partial|incorrect]",
    )
    disputes.add_argument(
        "targets",
        nargs="*",
        metavar="resolve, DIR, ID",
        help="learners' data folders (default: yours); with resolve, the ids of the disputes to resolve",
    )
    disputes.add_argument("--all", action="store_true", help="list resolved disputes too")
    disputes.add_argument(
        "--label", choices=["correct", "partial", "incorrect"], help="resolve the named disputes without asking"
    )

    replay = commands.add_parser("replay", parents=[common], help="run a scripted session and print its transcript")
    replay.add_argument("script", metavar="SCRIPT.yaml")
    replay.add_argument(
        "--check", action="store_true", help="exit 1 if the session differs from the script's expectations"
    )

    doctor = commands.add_parser(
        "doctor", parents=[common, model, as_json], help="check the installation, lessons, data folder and LLM"
    )
    doctor.add_argument("--llm", action="store_true", help="also send the LLM one short request")

    config = commands.add_parser("config", parents=[common], help="show or change the settings file")
    settings = config.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser, required=True)
    settings.add_parser("show", parents=[common, as_json], help="every setting, and where its value comes from")
    config_set = settings.add_parser("set", parents=[common], help="store a setting in the settings file")
    config_set.add_argument("key", metavar="KEY", help=SETTING_NAMES).completer = complete_settings
    config_set.add_argument("value", metavar="VALUE")
    config_unset = settings.add_parser("unset", parents=[common], help="remove a setting from the settings file")
    config_unset.add_argument("key", metavar="KEY", help=SETTING_NAMES).completer = complete_settings
    settings.add_parser("path", parents=[common], help="where the settings file is")

    draft = commands.add_parser(
        "draft", parents=[common, model], help="draft a lesson from your notes with the LLM, for you to review"
    )
    draft.add_argument("notes", metavar="NOTES", help="your notes: a text or Markdown file")
    draft.add_argument("--course", required=True, metavar="COURSE", help="the course the lesson is for (yours)")
    draft.add_argument("--lesson", metavar="LESSON", help="the lesson's id (default: from the notes' file name)")
    draft.add_argument("-o", "--output", metavar="FILE", help="write here (default: drafts/COURSE/LESSON.yaml)")

    completion = commands.add_parser("completion", parents=[common], help="print a shell's tab-completion script")
    completion.add_argument("shell", choices=["bash", "zsh", "fish"])
    return parser


def version_line():
    # sys.version opens with what platform.python_version() reads from it; importing platform
    # would cost every command, as the parser is built each time.
    return f"PocketTutor {__version__} (Python {sys.version.split()[0]})"


def complete_lessons(prefix, **_):
    """Tab completion: lesson and course ids."""
    from pockettutor.utils.lessons import Library

    library = Library()
    return [ref for ref in [*library.courses(), *library.lesson_refs()] if ref.startswith(prefix)]


# Known here without importing the settings module: `tutor --help` stays quick.
SETTING_NAMES = "model, base_url, timeout, lessons or shipped_lessons"


def complete_settings(prefix, **_):
    from pockettutor.utils.settings import SPECS

    return [name for name in SPECS if name.startswith(prefix)]


def complete_profiles(prefix, **_):
    from pockettutor.utils.profiles import ProfileStore, data_home

    return [name for name in ProfileStore(data_home()).names() if name.startswith(prefix)]


def read_profile(store, name, required=True):
    """A profile for a command that only reads it, with any notice about how it
    was read (a damaged file, dropped entries) on standard error."""
    profile = store.required(name) if required else store.existing(name)
    for notice in store.notices:
        print(f"tutor: note: {printable(notice)}", file=sys.stderr)
    store.notices.clear()
    return profile


def profile_name(args):
    """--profile, else $TUTOR_PROFILE, else the one `tutor profile use` chose, else 'learner'."""
    from pockettutor.utils.profiles import ProfileStore, data_home

    chosen = getattr(args, "profile", None) or os.environ.get("TUTOR_PROFILE")
    return chosen or ProfileStore(data_home()).default_name() or "learner"


def choose_teacher(args):
    """The engine for this session: offline unless an LLM is configured or asked for."""
    from pockettutor.utils.call_llm import LLMChat, LLMConfig, llm_configured
    from pockettutor.utils.teachers import LLMTeacher, OfflineTeacher

    if args.offline:
        return OfflineTeacher()
    model = getattr(args, "model", None)
    if args.llm or model or llm_configured():
        if not llm_configured():
            option = "--llm" if args.llm else "--model"
            raise UsageError(
                f"{option} needs OPENAI_API_KEY (for OpenAI) or a server: OPENAI_BASE_URL, "
                "or `tutor config set base_url URL`"
            )
        config = LLMConfig.from_env(model=model)
        return LLMTeacher(LLMChat(config), config.describe())
    return OfflineTeacher()


def resume_command(lesson_ref, name, store):
    """The command that picks this session up again, exactly as it must be typed."""
    default = os.environ.get("TUTOR_PROFILE") or store.default_name() or "learner"
    return f"tutor learn {lesson_ref}" + ("" if name == default else f" --profile {name}")


def show_waiting(teacher, console):
    """The LLM client shows the console's spinner while it waits for the server; its chat, or None."""
    chat = getattr(teacher, "chat", None)
    if chat is not None:
        chat.waiting = console.waiting
    return chat


def run_session(console, teacher, library, store, profile, lesson_ref):
    from datetime import datetime, timezone

    from pockettutor.flow import create_tutor_flow
    from pockettutor.utils.session import new_store, persist
    from pockettutor.utils.transcripts import Transcript, disputes_path, transcript_path

    shared = new_store(console, teacher, library, store, profile, lesson_ref, library.vocabulary())
    shared["transcript"] = Transcript(transcript_path(store.home, profile.name, lesson_ref))
    shared["disputes"] = Transcript(disputes_path(store.home, profile.name))
    chat = show_waiting(teacher, console)
    shared["llm_usage"] = (chat.usage, chat.price) if hasattr(chat, "usage") else None
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    shared["transcript"].append({"event": "session", "at": started, "engine": teacher.describe()})
    shared["resume_command"] = resume_command(lesson_ref, profile.name, store)
    try:
        create_tutor_flow().run(shared)
    except KeyboardInterrupt:
        persist(shared)
        console.line(f"Progress saved. `{shared['resume_command']}` picks up at this question.", style="dim")
        raise
    finally:
        persist(shared)
    return shared


@contextmanager
def learner(args):
    """(store, profile, console) for one session: the learner's profile held
    under its lock, and the console, after any notice about how it was loaded."""
    from pockettutor.utils.console import TutorConsole
    from pockettutor.utils.profiles import ProfileStore, data_home
    from pockettutor.utils.transcripts import history_path

    store, name = ProfileStore(data_home()), profile_name(args)
    with store.lock(name):
        profile = store.load_or_create(name)
        # With --json, standard output carries only the JSON: the session goes to standard error.
        screen = sys.stderr if getattr(args, "json", False) else None
        console = TutorConsole(history_path=history_path(data_home(), name), file=screen)
        for notice in store.notices:
            console.notice(notice)
        yield store, profile, console


def command_learn(args):
    from pockettutor.utils.lessons import Library
    from pockettutor.utils.session import next_lesson

    library = Library()
    teacher = choose_teacher(args)
    with learner(args) as (store, profile, console):
        refs = library.lesson_refs()
        current = profile.current_lesson
        if args.lesson:
            ref = library.resolve(args.lesson)
        elif not refs:
            raise UsageError(f"no lessons found in {library.describe_roots()} (see `tutor doctor`)")
        elif current in refs and profile.lessons[current].status != "complete":
            ref = current
        else:
            ref = next_lesson(refs, profile, current) or current or refs[0]
        if console.interactive and store.is_new(profile.name):
            from pockettutor.utils.onboarding import onboard

            try:
                onboard(console, profile)
            finally:
                # What the learner answered before a Ctrl-C or the end of input is kept.
                store.save(profile)
        run_session(console, teacher, library, store, profile, ref)
    return EXIT_OK


def command_courses(args):
    from rich.console import Console
    from rich.markup import escape
    from rich.tree import Tree

    from pockettutor.utils.lessons import Library
    from pockettutor.utils.profiles import ProfileStore, data_home
    from pockettutor.utils.progress import status_label

    library = Library()
    store = ProfileStore(data_home())
    name = profile_name(args)
    profile = read_profile(store, name, required=False)
    catalogue = []
    for course in library.courses().values():
        lessons = []
        for lesson_id in course.lessons:
            ref = f"{course.id}/{lesson_id}"
            lesson = library.lesson(ref)
            questions = [q for c in lesson.concepts for q in c.questions]
            progress = profile.lessons.get(ref) if profile else None
            lessons.append(
                {
                    "id": ref,
                    "title": lesson.title,
                    "concepts": len(lesson.concepts),
                    "analogies": sum(len(c.analogies) for c in lesson.concepts),
                    "questions": len(questions),
                    "samples": sum(len(q.samples) for q in questions),
                    "status": progress.status if progress else "new",
                    "prerequisites": lesson.prerequisites,
                }
            )
        catalogue.append(
            {
                "id": course.id,
                "number": course.number,
                "title": course.title,
                "prerequisites": course.prerequisites,
                "lessons": lessons,
            }
        )
    every_lesson = [lesson for course in catalogue for lesson in course["lessons"]]
    totals = {"courses": len(catalogue), "lessons": len(every_lesson)}
    totals |= {
        key: sum(lesson[key] for lesson in every_lesson) for key in ("concepts", "analogies", "questions", "samples")
    }
    if args.json:
        print(json.dumps({"courses": catalogue, "totals": totals}, indent=2))
        return EXIT_OK
    tree = Tree("Courses (start one with `tutor learn COURSE/LESSON`)")
    for course in catalogue:
        needs = f"  [dim]after {escape(', '.join(course['prerequisites']))}[/dim]" if course["prerequisites"] else ""
        branch = tree.add(f"[bold]{escape(course['title'])}[/bold]  ({course['id']}){needs}")
        previous = None
        for lesson in course["lessons"]:
            # The lesson just above goes without saying; name only prerequisites further away.
            further = [ref for ref in lesson["prerequisites"] if ref != previous]
            previous = lesson["id"]
            needs = f", after {', '.join(further)}" if further else ""
            details = escape(f"{lesson['concepts']} concepts, {status_label(lesson['status'])}{needs}")
            branch.add(f"{lesson['id']}  {escape(lesson['title'])}  [dim]{details}[/dim]")
    console = Console(highlight=False)
    console.print(tree)
    console.print(", ".join(f"{count} {key if count != 1 else key[:-1]}" for key, count in totals.items()), style="dim")
    return EXIT_OK


def command_replay(args):
    from pockettutor.utils.console import TutorConsole
    from pockettutor.utils.lessons import Library
    from pockettutor.utils.profiles import ProfileStore
    from pockettutor.utils.replay import ScriptedInput, ScriptedLLM, differences, load_script, observed
    from pockettutor.utils.teachers import LLMTeacher, OfflineTeacher

    script = load_script(args.script)
    library = Library()
    ref = library.resolve(script.lesson)
    problems = []
    # A replay never touches the learner's real profiles.
    with tempfile.TemporaryDirectory(prefix="tutor-replay-") as home:
        store = ProfileStore(home)
        profile = script.profile if not isinstance(script.profile, str) else store.load_or_create(script.profile)
        store.save(profile)
        for number, session in enumerate(script.sessions, 1):
            console = TutorConsole(input_fn=ScriptedInput(session.turns), echo_input=True, width=100)
            console.rule(f"session {number}")
            if script.engine == "llm":
                teacher = LLMTeacher(ScriptedLLM(session.llm), "recorded replies from the script")
            else:
                teacher = OfflineTeacher()
            profile = store.load_or_create(profile.name)
            shared = run_session(console, teacher, library, store, profile, ref)
            problems += [f"session {number}: {line}" for line in differences(session.expect, observed(shared))]
    if args.check:
        if problems:
            raise ReplayMismatch(f"{args.script}: the session differs from the script: " + "; ".join(problems))
        print(f"{args.script}: every expectation met ({len(script.sessions)} session(s))")
    return EXIT_OK


def command_lint(args):
    from pockettutor.utils.lessons import library_roots
    from pockettutor.utils.lint import lint, summary
    from pockettutor.utils.lint_cache import LintCache

    paths = args.paths or library_roots()
    cache = None if args.no_cache else LintCache()
    problems = lint(paths, roots=library_roots(), cache=cache, workers=os.cpu_count() or 1)
    errors = any(p.severity == "error" for p in problems)
    if args.json:
        print(json.dumps({"problems": [p.as_json() for p in problems], "summary": summary(problems)}, indent=2))
    else:
        for problem in problems:
            print(problem)
        print(summary(problems))
    return EXIT_ERROR if errors else EXIT_OK


def command_schema(args):
    from pockettutor.utils.lessons import SCHEMA_KINDS, json_schema

    print(json.dumps(json_schema(SCHEMA_KINDS[args.kind]), indent=2))
    return EXIT_OK


def command_new(args):
    from pockettutor.utils.lessons import Library, shipped_library, user_library, write_schemas
    from pockettutor.utils.scaffold import new_course, new_lesson

    # Never into the installed library: the user's own folder, or one they name.
    library = Path(args.into).expanduser() if args.into else user_library()
    known = Library()
    if args.kind == "course":
        if len(args.names) != 1:
            raise UsageError("usage: tutor new course NAME")
        if args.names[0] in known.courses() and not (library / args.names[0]).exists():
            raise UsageError(f"there is a course '{args.names[0]}' already (see `tutor courses`); choose another name")
        written = new_course(library, args.names[0])
    else:
        if len(args.names) != 2:
            raise UsageError("usage: tutor new lesson COURSE NAME")
        course = args.names[0]
        if not args.into and course in known.courses():
            # A lesson goes beside its course, wherever that is, except inside the installation.
            library = known.course_folder(course).parent
            if library == shipped_library():
                raise UsageError(f"'{course}' is a shipped course; `tutor new course NAME` starts one of your own")
        written = new_lesson(library, *args.names)
    write_schemas(library)  # what the new files' `$schema` lines point at, for editors
    for path in written:
        print(f"wrote {path}")
    return EXIT_OK


def command_path(args):
    from rich.console import Console
    from rich.markup import escape

    from pockettutor.utils.lessons import Library
    from pockettutor.utils.profiles import ProfileStore, data_home
    from pockettutor.utils.progress import status_label

    library = Library()
    paths = library.reading_paths()
    out = Console(highlight=False)
    if not args.name and args.json:
        listed = [
            {"id": p.id, "title": p.title, "description": p.description, "lessons": len(library.path_lessons(p))}
            for p in paths.values()
        ]
        print(json.dumps({"paths": listed}, indent=2, ensure_ascii=False))
        return EXIT_OK
    if not args.name:
        if not paths:
            out.print(f"No reading paths in {library.describe_roots()}.")
        for reading_path in paths.values():
            count = len(library.path_lessons(reading_path))
            out.print(
                f"[bold]{reading_path.id}[/bold]  {escape(reading_path.title)}  "
                f"[dim]{count} lesson{'s' * (count != 1)}[/dim]"
            )
        return EXIT_OK
    if args.name not in paths:
        raise UsageError(f"unknown reading path '{args.name}' (known: {', '.join(paths) or 'none'})")
    store = ProfileStore(data_home())
    name = profile_name(args)
    profile = read_profile(store, name, required=False)
    reading_path = paths[args.name]
    if args.json:
        steps = [
            {"lesson": ref, "title": library.lesson(ref).title, "status": _status(profile, ref)}
            for ref in library.path_lessons(reading_path)
        ]
        about = {"id": reading_path.id, "title": reading_path.title, "description": reading_path.description}
        print(json.dumps({**about, "profile": name, "lessons": steps}, indent=2, ensure_ascii=False))
        return EXIT_OK
    out.print(f"[bold]{escape(reading_path.title)}[/bold]")
    out.print(escape(reading_path.description), style="dim")
    for number, ref in enumerate(library.path_lessons(reading_path), 1):
        progress = profile.lessons.get(ref) if profile else None
        title = escape(library.lesson(ref).title)
        out.print(f"{number:>3}. {title}  [dim]{ref}, {status_label(progress and progress.status)}[/dim]")
    return EXIT_OK


def _status(profile, ref):
    progress = profile.lessons.get(ref) if profile else None
    return progress.status if progress else "new"


def run_quiz(args, mode, choose_items):
    """A review or an exam on the learner's profile, under its lock."""
    from pockettutor.flow import create_quiz_flow
    from pockettutor.utils.lessons import Library
    from pockettutor.utils.session import new_quiz_store

    library, teacher = Library(), choose_teacher(args)
    with learner(args) as (store, profile, console):
        items, notice = choose_items(library, profile)
        if notice:
            console.notice(notice)
        if not items:
            if args.json:
                print(json.dumps({"mode": mode, "profile": profile.name, "asked": 0, "results": []}, indent=2))
            return None
        console.line(f"Engine: {teacher.describe()}", style="dim")
        show_waiting(teacher, console)
        shared = new_quiz_store(console, teacher, library, store, profile, mode, items)
        try:
            create_quiz_flow().run(shared)
        finally:
            store.save(profile)
    if args.json:
        print(json.dumps(quiz_results(mode, profile.name, shared["quiz"]["results"]), indent=2, ensure_ascii=False))
    return shared


def quiz_results(mode, name, results):
    """A review's or an exam's results for scripts: one entry per question asked."""
    entries = [
        {
            "lesson": r.item.lesson,
            "concept": r.item.concept,
            "question": r.item.question,
            "verdict": r.verdict,
            "misconceptions": list(r.misconceptions),
        }
        for r in results
    ]
    counts = {verdict: sum(r.verdict == verdict for r in results) for verdict in VERDICTS}
    return {"mode": mode, "profile": name, "asked": len(results), **counts, "results": entries}


VERDICTS = ("correct", "partial", "incorrect", "skipped")


def command_review(args):
    from datetime import datetime, timezone

    from pockettutor.utils.quiz import due_items

    if args.limit < 1:
        raise UsageError("--limit must be at least 1")
    shared = run_quiz(
        args,
        "review",
        lambda library, profile: (due_items(library, profile, datetime.now(timezone.utc))[: args.limit], None),
    )
    if shared is None and not args.json:
        print("Nothing is due for review. Come back later, or go on with `tutor`.")
    return EXIT_OK


def command_exam(args):
    from pockettutor.utils.lessons import Library
    from pockettutor.utils.quiz import exam_items, exam_lessons

    if args.course not in Library().courses():
        raise UsageError(f"unknown course '{args.course}' (see `tutor courses`)")
    if args.questions < 1:
        raise UsageError("--questions must be at least 1")

    def choose(library, profile):
        lessons = exam_lessons(library, args.course, profile.lessons, args.all)
        count = len(library.courses()[args.course].lessons)
        if not lessons:
            return [], (
                f"You have not started a lesson of {args.course} yet: `tutor learn {args.course}` starts one, "
                f"or `tutor exam {args.course} --all` asks about all of it."
            )
        notice = None
        if len(lessons) < count:
            notice = (
                f"This exam covers the {len(lessons)} of {count} lessons of {args.course} you have started; "
                f"`tutor exam {args.course} --all` covers the whole course."
            )
        return exam_items(library, lessons, profile.mastery, args.questions), notice

    run_quiz(args, "exam", choose)
    return EXIT_OK


def command_export(args):
    from pockettutor.utils.lessons import Library
    from pockettutor.utils.profiles import ProfileStore, data_home
    from pockettutor.utils.transcripts import read_events, render_markdown, transcript_path

    library, store, name = Library(), ProfileStore(data_home()), profile_name(args)
    profile = read_profile(store, name)
    ref = library.resolve(args.lesson) if args.lesson else profile.current_lesson
    if not ref:
        raise UsageError("no lesson yet: name one, e.g. `tutor export COURSE/LESSON`")
    events = read_events(transcript_path(store.home, name, ref))
    if not events:
        raise UsageError(f"no record of {ref} for '{name}' yet: `tutor learn {ref}` starts one")
    text = render_markdown(library.lesson(ref), ref, name, events)
    if args.output:
        write_export(Path(args.output), text)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def write_export(path, text):
    """An export is the user's own file: a new one is written whole (and readable as
    any file they make), an existing one or a device, a pipe or a link to one is
    written in place, keeping its mode, its links and what it is."""
    from pockettutor.utils.profiles import atomic_write_text

    try:
        if path.is_dir():
            raise UsageError(f"{path} is a folder; give a file name, e.g. {path / 'lesson.md'}")
        if path.exists() or path.is_symlink():
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            atomic_write_text(path, text)
            path.chmod(0o666 & ~_umask())
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


REPORT_FORMATS = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown", ".json": "json"}


def command_report(args):
    from pockettutor.utils.lessons import Library
    from pockettutor.utils.report import build_report

    output = Path(args.output) if args.output else None
    if output is not None and output.suffix.lower() not in REPORT_FORMATS:
        raise UsageError(f"-o {output}: name a .html, .md or .json file")
    data, notices = build_report(args.paths, Library(), course=args.course, anonymous=args.anonymous)
    for notice in notices:
        print(f"tutor: note: {printable(notice)}", file=sys.stderr)
    as_json = json.dumps(data, indent=2, ensure_ascii=False)
    if output is not None:
        from pockettutor.utils.report_render import markdown, page

        kind = REPORT_FORMATS[output.suffix.lower()]
        text = as_json + "\n" if kind == "json" else (page if kind == "html" else markdown)(data)
        write_export(output, text)
        print(f"Wrote {printable(output)} ({data['learners']} learners).", file=sys.stderr)
    if args.json:
        print(as_json)
    elif output is None:
        from rich.console import Console

        from pockettutor.utils.report_render import terminal_view

        Console(highlight=False).print(terminal_view(data))
    return EXIT_OK


def command_progress(args):
    from pockettutor.utils.console import TutorConsole
    from pockettutor.utils.lessons import Library
    from pockettutor.utils.profiles import ProfileStore, data_home
    from pockettutor.utils.progress import progress_data, progress_view

    store = ProfileStore(data_home())
    name = profile_name(args)
    profile = read_profile(store, name)
    if args.json:
        print(json.dumps(progress_data(Library(), profile), indent=2, ensure_ascii=False))
        return EXIT_OK
    TutorConsole().print(progress_view(Library(), profile))
    return EXIT_OK


def command_profile(args):
    from pockettutor.utils.console import TutorConsole
    from pockettutor.utils.profiles import ProfileStore, data_home

    store = ProfileStore(data_home())
    console = TutorConsole()
    if args.action == "list":
        in_use = profile_name(args)
        names = store.names()
        for name in names:
            console.line(f"{'*' if name == in_use else ' '} {name}", style="bold" if name == in_use else None)
        if not names:
            console.line("No profiles yet: `tutor` creates one, or `tutor profile new NAME`.")
        return EXIT_OK
    if args.action in ("delete", "reset", "rename"):
        return change_profile(args, store, console)
    if args.action == "use":
        if args.name not in store.names():
            raise UsageError(f"no profile '{args.name}' (see `tutor profile list`; `tutor profile new {args.name}`)")
        store.set_default_name(args.name)
        console.line(f"Profile '{args.name}' is now the one `tutor` uses.")
        return EXIT_OK
    name = args.name or profile_name(args)
    if args.action == "new":
        if not store.is_new(name):
            raise UsageError(f"profile '{name}' already exists (see `tutor profile show {name}`)")
        with store.lock(name):
            profile = store.load_or_create(name)
            if args.experience is not None:
                profile.experience = args.experience
            if args.style:
                profile.thinking_style = args.style
            if not (args.no_questions or args.experience is not None or args.style):
                from pockettutor.utils.onboarding import onboard

                onboard(console, profile)
            store.save(profile)
        console.line(f"Created profile '{name}'. `tutor profile use {name}` makes it the default.")
        return EXIT_OK
    from pockettutor.utils.progress import profile_overview

    profile = read_profile(store, name)
    if args.json:
        print(json.dumps(profile.model_dump(mode="json", exclude_none=True), indent=2, ensure_ascii=False))
        return EXIT_OK
    console.say(profile_overview(profile))
    return EXIT_OK


def change_profile(args, store, console):
    """delete, reset or rename, after asking (unless --yes): none can be undone."""
    name = args.name
    records = store.records(name)
    if not records:
        raise UsageError(f"no profile '{name}' (see `tutor profile list`)")
    what = {
        "delete": f"Delete the profile '{name}' and all its records ({len(records)} files and folders)?",
        "reset": f"Start '{name}' over? Progress, reviews and session records go; experience and style stay.",
        "rename": f"Rename the profile '{name}' to '{getattr(args, 'new_name', '')}'?",
    }[args.action]
    if not args.yes:
        try:
            reply = console.ask(f"{what} [y/N] ").strip().lower()
        except EOFError:
            reply = ""
        if reply not in ("y", "yes"):
            raise UsageError(f"profile '{name}' left as it was (nothing confirmed; --yes skips the question)")
    if args.action == "delete":
        store.delete(name)
        console.line(f"Deleted the profile '{name}'.")
    elif args.action == "reset":
        store.reset(name)
        console.line(f"'{name}' starts over: `tutor --profile {name}` begins again.")
    else:
        store.rename(name, args.new_name)
        console.line(f"'{name}' is now '{args.new_name}'.")
    return EXIT_OK


def command_grade(args):
    from pockettutor.utils.grade_requests import find_question, grade_lines
    from pockettutor.utils.lessons import Library

    library = Library()
    args.offline = not (args.llm or args.model)
    teacher = choose_teacher(args)

    def grade(question, answer, synonyms):
        return teacher.grade(question, answer, synonyms, "")

    if args.question == "-":
        if not args.json or args.answer is not None:
            raise UsageError("`tutor grade --json -` reads JSON lines from standard input, and takes no ANSWER")
        for result in grade_lines(library, sys.stdin, grade):
            print(json.dumps(result, ensure_ascii=False), flush=True)
        return EXIT_OK
    if args.answer is None:
        raise UsageError("give the answer to grade after the question, or `--json -` for JSON lines")
    question, synonyms = find_question(library, args.question)
    result = grade(question, args.answer, synonyms)
    if args.json:
        print(json.dumps(result.as_record(), ensure_ascii=False, indent=2))
        return EXIT_OK
    from pockettutor.utils.console import TutorConsole
    from pockettutor.utils.verdicts import why_text

    TutorConsole(input_fn=lambda prompt: "").say(why_text(question, result, in_session=False))
    return EXIT_OK


def command_disputes(args):
    from pockettutor.utils.disputes import listing, listing_json, listing_text, parse_targets, read_disputes, resolve
    from pockettutor.utils.lessons import Library
    from pockettutor.utils.profiles import data_home

    resolving, folders, ids = parse_targets(args.targets, data_home())
    disputes = read_disputes(folders)
    if resolving:
        if args.json or args.all:
            raise UsageError("`tutor disputes resolve` takes no --json or --all (`tutor disputes --all` lists)")
        from pockettutor.utils.console import TutorConsole

        outcome = resolve(disputes, ids, Library(), TutorConsole(), label=args.label)
        return EXIT_ERROR if outcome.problems else EXIT_OK
    if ids or args.label:
        raise UsageError("dispute ids and --label go with `tutor disputes resolve`")
    shown = listing(disputes, Library(), include_resolved=args.all)
    if args.json:
        print(json.dumps(listing_json(shown, disputes), indent=2, ensure_ascii=False))
    else:
        print(listing_text(shown, disputes, folders))
    return EXIT_OK


def command_doctor(args):
    from pockettutor.utils.doctor import diagnose

    checks = diagnose(check_llm=args.llm, model=args.model)
    failed = any(check.status == "fail" for check in checks)
    if args.json:
        print(json.dumps({"ok": not failed, "checks": [c.as_json() for c in checks]}, indent=2, ensure_ascii=False))
        return EXIT_ERROR if failed else EXIT_OK
    marks = {"ok": "ok  ", "warn": "warn", "fail": "FAIL", "info": "    "}
    section = None
    for check in checks:
        if check.section != section:
            section = check.section
            print(f"{section}:")
        print(printable(f"  {marks[check.status]} {check.name}: {check.detail}"))
    print("Everything the tutor needs works." if not failed else "Some checks failed: see FAIL above.")
    return EXIT_ERROR if failed else EXIT_OK


def command_config(args):
    from pockettutor.utils.settings import SPECS, config_path, resolved, set_value, unset_value

    if args.action == "path":
        print(config_path())
    elif args.action == "set":
        path, value = set_value(args.key, args.value)
        print(printable(f"{args.key} = {value} (in {path})"))
        overridden = resolved()[args.key]
        if overridden.source not in ("config file", "default"):
            print(printable(f"note: {overridden.source} is set, and overrides the file while it is"), file=sys.stderr)
    elif args.action == "unset":
        print(printable(f"{args.key} removed (from {unset_value(args.key)})"))
    else:
        settings = resolved()
        if args.json:
            shown = {name: {"value": s.value, "source": s.source} for name, s in settings.items()}
            print(json.dumps({"file": str(config_path()), "settings": shown}, indent=2, ensure_ascii=False))
            return EXIT_OK
        from pockettutor.utils.call_llm import redact

        print(printable(f"settings file: {config_path()}"))
        for name, setting in settings.items():
            value = redact(setting.value) if name == "base_url" else setting.value
            if isinstance(value, list):
                value = os.pathsep.join(value) or "(none)"
            print(
                printable(f"{name} = {'(none)' if value is None else value}  [{setting.source}]  # {SPECS[name].help}")
            )
    return EXIT_OK


def command_draft(args):
    from pockettutor.utils.call_llm import LLMChat, LLMConfig, llm_configured
    from pockettutor.utils.drafting import draft_lesson, plan_draft, report_lines, write_draft
    from pockettutor.utils.lessons import Library, library_roots

    if not llm_configured():
        raise UsageError("tutor draft needs an LLM: set OPENAI_API_KEY or OPENAI_BASE_URL (see `tutor doctor`)")
    plan = plan_draft(Library(), args.notes, args.course, args.lesson, args.output)
    config = LLMConfig.from_env(model=args.model)
    chat = LLMChat(config)
    print(printable(f"Drafting {plan.ref} from {args.notes} with {config.describe()} ..."), flush=True)
    draft = draft_lesson(chat, plan, library_roots())
    write_draft(plan, draft, config.describe())
    for line in report_lines(plan, draft):
        print(printable(line))
    print(chat.usage.describe(chat.price))
    return EXIT_OK


def command_completion(args):
    import argcomplete

    sys.stdout.write(argcomplete.shellcode(["tutor", "pockettutor"], shell=args.shell))
    return EXIT_OK


COMMANDS = {
    "learn": command_learn,
    "grade": command_grade,
    "disputes": command_disputes,
    "courses": command_courses,
    "replay": command_replay,
    "lint": command_lint,
    "schema": command_schema,
    "new": command_new,
    "path": command_path,
    "profile": command_profile,
    "progress": command_progress,
    "report": command_report,
    "export": command_export,
    "review": command_review,
    "exam": command_exam,
    "doctor": command_doctor,
    "config": command_config,
    "completion": command_completion,
    "draft": command_draft,
}


# learn's options that take a value: the word after one is that value, even if it is a command's name.
LEARN_VALUE_OPTIONS = {"--profile", "--model"}


def _names_a_command(argv):
    """Whether the command line names a command (or asks for help): `tutor --profile review`
    is `tutor learn` for the profile called review."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in LEARN_VALUE_OPTIONS:
            skip = True
        elif arg in COMMANDS or arg in ("-h", "--help", "--version"):
            return True
    return False


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    if "_ARGCOMPLETE" in os.environ:
        # The shell asks for completions (see `tutor completion`): answer and exit.
        import argcomplete

        argcomplete.autocomplete(build_parser())
    try:
        if not _names_a_command(argv):
            argv = ["learn", *argv]  # `tutor` alone, or with learn's options, starts a lesson
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except BrokenPipeError:
        # Nobody reads any more: say nothing, and keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print("\nInterrupted; progress saved.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except TutorError as exc:
        if debug:
            raise
        print(f"tutor: error: {printable(exc)}", file=sys.stderr)
        return exc.exit_status
    except Exception as exc:
        if debug:
            raise
        if isinstance(exc, OSError) and exc.filename is not None:
            # The environment, not the tutor: a read-only or full disk, a file where a folder
            # should be, a name too long. Learner data is written atomically: nothing is half-done.
            print(f"tutor: error: cannot use {printable(exc.filename)}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_ERROR
        print(
            f"tutor: internal error: {type(exc).__name__}: {printable(exc)} (run with --debug for a traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def entry_point():
    sys.exit(main())


if __name__ == "__main__":
    entry_point()
