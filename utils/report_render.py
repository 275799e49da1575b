"""`tutor report`'s data (utils/report.py) as a terminal table, Markdown, or a
self-contained HTML page with its charts drawn in inline SVG.

Every string from a transcript, a lesson or a folder name is escaped for where
it goes: control characters for the terminal, HTML for the page (which fetches
nothing: no scripts, fonts, images or links), Markdown for the tables.
"""

import html

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from pockettutor.utils.errors import printable

HEADERS = (
    "question",
    "learners",
    "first try",
    "attempts",
    "hints",
    "skips",
    "median to right",
    "misconceptions",
    "disputed",
)


def percent(rate):
    return "-" if rate is None else f"{rate:.0%}"


def duration(seconds):
    """A median time as a person reads it: 45 s, 2 min 05 s, 1 h 02 min."""
    if seconds is None:
        return "-"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def first_try(entry):
    return f"{entry['first_try']}/{entry['tried']} ({percent(entry['first_try_rate'])})" if entry["tried"] else "-"


def to_right(entry):
    timed = entry["seconds_to_right"]
    return f"{duration(timed['median'])} (n={timed['count']})" if timed["count"] else "-"


def misconceptions_cell(entry):
    return ", ".join(f"{m['id']} ×{m['count']}" for m in entry["misconceptions"]) or "-"


def disputes_cell(entry):
    disputes = entry["disputes"]
    if not disputes["count"]:
        return "-"
    details = [f"{verdict} ×{n}" for verdict, n in disputes["verdicts"].items() if n]
    details.append(f"{disputes['status'].get('open', 0)} open")
    if disputes["overturned"]:
        details.append(f"{disputes['overturned']} overturned")
    return f"{disputes['count']} ({', '.join(details)})"


def led_to_right(analogy):
    judged = analogy["worked"] + analogy["failed"]
    return f"{analogy['worked']}/{judged} ({percent(analogy['success_rate'])})" if judged else "-"


def named(title, ident):
    return f"{title} ({ident})" if title else ident


def question_rows(lesson):
    """(concept label, question id, figures) for each question of a lesson, in teaching order."""
    for concept in lesson["concepts"]:
        for question in concept["questions"]:
            yield concept["title"] or concept["id"], question["id"], question


def question_cells(question):
    return [
        str(question["learners"]),
        first_try(question),
        str(question["attempts"]),
        str(question["hints"]),
        str(question["skips"]),
        to_right(question),
        misconceptions_cell(question),
        disputes_cell(question),
    ]


def counted(number, noun):
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def lesson_line(lesson):
    sessions = counted(lesson["sessions"], "session")
    return f"{counted(lesson['learners'], 'learner')}, {lesson['finished']} finished, {sessions}"


def headline(data):
    totals = data["totals"]
    scope = f" of course {data['course']}" if data["course"] else ""
    parts = [
        counted(data["learners"], "learner") + scope,
        f"{counted(data['transcripts'], 'transcript')}, {counted(data['sessions'], 'session')}",
        f"right at the first try: {first_try(totals)}",
        f"median time to a right answer: {duration(totals['seconds_to_right']['median'])}",
        f"{counted(totals['misconceptions'], 'misconception')} matched",
        f"{counted(totals['disputes'], 'verdict')} disputed",
    ]
    return " · ".join(parts)


# The tables every format shows, as (headers, rows of cells).

LEARNER_HEADERS = ("learner", "lessons", "questions", "first try", "hints", "skips", "disputes")


def hardest_table(data, with_prompt):
    prompt = ("prompt",) if with_prompt else ()
    headers = ("question", *prompt, "tried", "first try", "misconceptions", "disputed")
    rows = [
        (
            q["question"],
            *((q["prompt"] or "-",) if with_prompt else ()),
            q["tried"],
            percent(q["first_try_rate"]),
            q["misconceptions"],
            q["disputes"],
        )
        for q in data["hardest"]
    ]
    return headers, rows


def misconception_table(data):
    rows = [(m["description"] or m["id"], m["question"], m["count"]) for m in data["misconceptions"]]
    return ("misconception", "question", "times"), rows


def analogy_table(lesson):
    rows = [
        (concept["title"] or concept["id"], a["id"], a["shown"], led_to_right(a))
        for concept in lesson["concepts"]
        for a in concept["analogies"]
    ]
    return ("concept", "analogy", "shown", "led to a right answer"), rows


# Terminal


def _text(value):
    return Text(printable(value))


def _table(title, headers, rows, first_left=1):
    """Text columns first (ids may break anywhere), then figures."""
    # No column rules: nine columns of figures fit an 80-column terminal.
    table = Table(
        title=printable(title), title_justify="left", title_style="bold", box=box.SIMPLE_HEAD, padding=0, pad_edge=False
    )
    for i, header in enumerate(headers):
        if i < first_left:
            table.add_column(header, overflow="fold", min_width=12)
        else:
            table.add_column(header, justify="right")
    for row in rows:
        table.add_row(*map(_text, row))
    return table


def terminal_view(data):
    parts = [Text(printable(headline(data)), style="bold")]
    if data["hardest"]:
        parts.append(_table("Lowest first-try rates", *hardest_table(data, with_prompt=False)))
    if data["misconceptions"]:
        parts.append(_table("Commonest misconceptions", *misconception_table(data), first_left=2))
    for course in data["courses"]:
        heading = f"{named(course['title'], course['id'])} · {counted(course['learners'], 'learner')}"
        parts += [Text(""), Text(printable(heading), style="bold underline")]
        for lesson in course["lessons"]:
            title = f"{named(lesson['title'], lesson['id'])} · {lesson_line(lesson)}"
            # Narrower than the other formats' table: misconceptions go in a table of their own.
            table = _table(title, (*HEADERS[:7], "disputed"), [])
            for concept in lesson["concepts"]:
                table.add_row(_text(concept["title"] or concept["id"]), style="bold")
                for question in concept["questions"]:
                    cells = question_cells(question)
                    table.add_row(*map(_text, ("  " + question["id"], *cells[:6], str(question["disputes"]["count"]))))
            parts.append(table)
            matched = [
                (question_id, m["description"] or m["id"], str(m["count"]))
                for _, question_id, question in question_rows(lesson)
                for m in question["misconceptions"]
            ]
            if matched:
                parts.append(_table("Misconceptions", ("question", "misconception", "times"), matched, 2))
            headers, analogies = analogy_table(lesson)
            if analogies:
                parts.append(_table("Analogies", headers, analogies, 2))
    learners = sorted(
        (entry for entry in data["by_learner"] if entry["questions"]), key=lambda e: (e["first_try_rate"], e["learner"])
    )
    if learners:
        shown = learners[:10]
        parts.append(
            _table(
                "Learners with the lowest first-try rates" if len(learners) > len(shown) else "Learners",
                LEARNER_HEADERS,
                [_learner_cells(e) for e in shown],
            )
        )
        if len(learners) > len(shown):
            parts.append(
                Text(
                    f"{len(learners) - len(shown)} more: `--json` or `-o report.html` lists every learner.", style="dim"
                )
            )
    return Group(*parts)


def _learner_cells(entry):
    return (
        entry["learner"],
        str(entry["lessons"]),
        str(entry["questions"]),
        first_try(
            {"first_try": entry["first_try"], "tried": entry["questions"], "first_try_rate": entry["first_try_rate"]}
        ),
        str(entry["hints"]),
        str(entry["skips"]),
        str(entry["disputes"]),
    )


# Markdown


def md(value):
    """A table cell's text: one line, with Markdown's and HTML's special characters escaped."""
    text = " ".join(printable(value).split())
    for char in "\\`*_[]<>|#":
        text = text.replace(char, "\\" + char)
    return text


def _md_table(headers, rows):
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(md(cell) for cell in row) + " |" for row in rows]
    return lines + [""]


def markdown(data):
    out = ["# What learners struggle with", "", md(headline(data)), ""]
    if data["hardest"]:
        out += ["## Lowest first-try rates", ""]
        out += _md_table(*hardest_table(data, with_prompt=True))
    if data["misconceptions"]:
        out += ["## Commonest misconceptions", ""]
        out += _md_table(*misconception_table(data))
    for course in data["courses"]:
        out += [f"## {md(named(course['title'], course['id']))}", "", counted(course["learners"], "learner") + ".", ""]
        for lesson in course["lessons"]:
            out += [f"### {md(named(lesson['title'], lesson['id']))}", ""]
            out += [lesson_line(lesson) + ".", ""]
            out += _md_table(
                HEADERS,
                [
                    (f"{concept} / {question_id}", *question_cells(q))
                    for concept, question_id, q in question_rows(lesson)
                ],
            )
            headers, analogies = analogy_table(lesson)
            if analogies:
                out += ["Analogies:", ""]
                out += _md_table(headers, analogies)
    if data["by_learner"]:
        out += ["## Learners", ""]
        out += _md_table(LEARNER_HEADERS, [_learner_cells(e) for e in data["by_learner"]])
    return "\n".join(out).rstrip() + "\n"


# HTML

STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 70rem;
       padding: 0 1rem; color: #1d2327; background: #fff; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ccd; } h3 { margin-top: 1.6rem; }
p.lead { font-size: 1.05rem; }
table { border-collapse: collapse; margin: .6rem 0 1.2rem; font-size: .9rem; }
th, td { border: 1px solid #d6d9de; padding: .25rem .5rem; vertical-align: top; }
th { background: #f2f4f7; text-align: left; } td.n { text-align: right; white-space: nowrap; }
.muted { color: #667; } figure { margin: .6rem 0 1.2rem; } figcaption { font-size: .85rem; color: #556; }
svg { max-width: 100%; height: auto; } svg text { font: 12px system-ui, sans-serif; fill: #1d2327; }
"""

BAR_COLOURS = {"rate": "#3b7dd8", "count": "#d8833b", "low": "#c9483b"}


def h(value):
    return html.escape(printable(value), quote=True)


def _html_table(headers, rows, numeric_from=1):
    head = "".join(f"<th>{h(header)}</th>" for header in headers)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="n">{h(cell)}</td>' if i >= numeric_from else f"<td>{h(cell)}</td>"
            for i, cell in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def bar_chart(title, bars, maximum=None, kind="rate", keep="start"):
    """A horizontal bar chart in inline SVG: (label, value, shown value) per bar. A long
    label keeps its start, or with keep="end" its end (a question's address ends in its id)."""
    if not bars:
        return ""
    label_width, bar_width, row = 330, 360, 22
    top = max((value for _, value, _ in bars if value is not None), default=0)
    maximum = maximum or top or 1
    height = row * len(bars) + 8
    shapes = []
    for i, (label, value, shown) in enumerate(bars):
        y = 4 + i * row
        width = 0 if value is None else max(1.0, bar_width * value / maximum)
        colour = BAR_COLOURS["low"] if kind == "rate" and value is not None and value < 0.5 else BAR_COLOURS[kind]
        clipped = label if len(label) <= 48 else label[:47] + "…" if keep == "start" else "…" + label[-47:]
        shapes.append(
            f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end"><title>{h(label)}</title>{h(clipped)}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{width:.1f}" height="{row - 7}" fill="{colour}"></rect>'
            f'<text x="{label_width + width + 6:.1f}" y="{y + 15}">{h(shown)}</text>'
        )
    total_width = label_width + bar_width + 110
    return (
        f'<figure><svg viewBox="0 0 {total_width} {height}" width="{total_width}" height="{height}" '
        f'role="img" aria-label="{h(title)}">{"".join(shapes)}</svg><figcaption>{h(title)}</figcaption></figure>'
    )


def page(data):
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>What learners struggle with</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>What learners struggle with</h1>",
        f'<p class="lead">{h(headline(data))}</p>',
    ]
    if data["hardest"]:
        out.append("<h2>Lowest first-try rates</h2>")
        out.append(
            bar_chart(
                "Share of learners right at the first try, weakest questions first",
                [(q["question"], q["first_try_rate"], percent(q["first_try_rate"])) for q in data["hardest"]],
                maximum=1,
                keep="end",
            )
        )
        out.append(_html_table(*hardest_table(data, with_prompt=True), numeric_from=2))
    if data["misconceptions"]:
        out.append("<h2>Commonest misconceptions</h2>")
        out.append(
            bar_chart(
                "Times each misconception was matched in a graded answer",
                [(m["description"] or m["id"], m["count"], str(m["count"])) for m in data["misconceptions"]],
                kind="count",
            )
        )
        out.append(_html_table(*misconception_table(data), numeric_from=2))
    for course in data["courses"]:
        out.append(f"<h2>{h(named(course['title'], course['id']))}</h2>")
        out.append(f'<p class="muted">{counted(course["learners"], "learner")}.</p>')
        for lesson in course["lessons"]:
            out.append(f"<h3>{h(named(lesson['title'], lesson['id']))}</h3>")
            out.append(f'<p class="muted">{h(lesson_line(lesson))}.</p>')
            rows = list(question_rows(lesson))
            out.append(
                bar_chart(
                    "Right at the first try, per question",
                    [(qid, q["first_try_rate"], first_try(q)) for _, qid, q in rows],
                    maximum=1,
                )
            )
            out.append(_html_table(HEADERS, [(f"{concept} / {qid}", *question_cells(q)) for concept, qid, q in rows]))
            headers, analogies = analogy_table(lesson)
            if analogies:
                judged = [
                    (f"{concept['title'] or concept['id']} / {a['id']}", a["success_rate"], led_to_right(a))
                    for concept in lesson["concepts"]
                    for a in concept["analogies"]
                    if a["success_rate"] is not None
                ]
                out.append(bar_chart("Analogies: share that led to a right answer", judged, maximum=1))
                out.append(_html_table(headers, analogies, numeric_from=2))
    if data["by_learner"]:
        out.append("<h2>Learners</h2>")
        out.append(_html_table(LEARNER_HEADERS, [_learner_cells(e) for e in data["by_learner"]]))
    out.append("</body></html>")
    return "\n".join(out) + "\n"
