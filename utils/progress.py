"""What a learner has done, for `tutor progress` and `tutor profile show`:
mastery per lesson, reviews due, the streak, and the analogies that work."""

from datetime import date, datetime, timedelta, timezone

from rich.console import Group
from rich.table import Table
from rich.text import Text

from pockettutor.utils.mastery import MASTERED

BAR_WIDTH = 20


def concept_key(lesson_ref, concept_id):
    return f"{lesson_ref}/{concept_id}"


def lesson_mastery(profile, lesson_ref, lesson):
    """Each concept's mastery, in teaching order; 0 for one never answered, so an
    untouched lesson shows an empty bar rather than the model's prior."""
    return [profile.mastery.get(concept_key(lesson_ref, c.id), 0.0) for c in lesson.concepts]


def status_label(status):
    """A lesson's status as the learner reads it: new, in progress, complete."""
    return (status or "new").replace("_", " ")


def bar(fraction, width=BAR_WIDTH):
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return Text("█" * filled, style="green") + Text("░" * (width - filled), style="dim")


def count_days(count):
    return f"{count} day" if count == 1 else f"{count} days"


def streak(active_days, today):
    """Consecutive days with answers, ending today or yesterday."""
    days = {date.fromisoformat(d) for d in active_days}
    day = today if today in days else today - timedelta(days=1)
    count = 0
    while day in days:
        count, day = count + 1, day - timedelta(days=1)
    return count


def reviews_due(profile, now):
    from pockettutor.utils.reviews import due

    return due(profile.reviews, now)


def working_analogies(profile):
    """Lines on the styles and shared pictures that led this learner to right answers."""
    lines = []
    for style, (worked, failed) in sorted(profile.style_counts().items(), key=lambda item: -item[1][0]):
        lines.append(f"{style}: {worked} of {worked + failed} led to a right answer")
    return lines


def profile_overview(profile, now=None):
    """Markdown: who the learner is to the tutor."""
    now = now or datetime.now(timezone.utc)
    finished = sum(1 for p in profile.lessons.values() if p.status == "complete")
    mastered = sum(1 for p in profile.mastery.values() if p >= MASTERED)
    lines = [
        f"**{profile.name}**",
        "",
        f"- Experience: {profile.experience or 'not stated'}",
        f"- Thinks best with: {profile.thinking_style or 'not known yet'} analogies",
    ]
    if profile.style_changes:
        change = profile.style_changes[-1]
        lines.append(f"- Adjusted from {change.previous or 'none'} to {change.chosen}: {change.reason}")
    if profile.preferences:
        lines.append(f"- Prefers: {'; '.join(profile.preferences)}")
    lines += [
        f"- Lessons finished: {finished}; concepts mastered: {mastered}",
        f"- Reviews due: {len(reviews_due(profile, now))}; "
        f"streak: {count_days(streak(profile.active_days, now.date()))}",
    ]
    return "\n".join(lines)


def progress_data(library, profile, now=None):
    """The learner's progress as plain data: what `progress` shows, for scripts too."""
    now = now or datetime.now(timezone.utc)
    courses = []
    for course in library.courses().values():
        lessons = []
        for lesson_id in course.lessons:
            ref = f"{course.id}/{lesson_id}"
            values = lesson_mastery(profile, ref, library.lesson(ref))
            progress = profile.lessons.get(ref)
            lessons.append(
                {
                    "lesson": ref,
                    "title": library.lesson(ref).title,
                    "status": (progress and progress.status) or "new",
                    "mastery": round(sum(values) / len(values), 4) if values else 0.0,
                    "concepts": len(values),
                    "concepts_mastered": sum(1 for v in values if v >= MASTERED),
                }
            )
        courses.append({"course": course.id, "title": course.title, "lessons": lessons})
    return {
        "profile": profile.name,
        "courses": courses,
        "reviews_due": len(reviews_due(profile, now)),
        "streak_days": streak(profile.active_days, now.date()),
        "working_analogies": working_analogies(profile),
    }


def progress_view(library, profile, now=None):
    """A rich renderable: a table per course with a mastery bar per lesson,
    then reviews due, the streak and the analogies that work."""
    data = progress_data(library, profile, now)
    parts = []
    for course in data["courses"]:
        table = Table(title=Text(course["title"]), title_justify="left", expand=False)
        for column in ("lesson", "status", "mastery", "concepts mastered"):
            table.add_column(column)
        for lesson in course["lessons"]:
            status = status_label(lesson["status"])
            if lesson["concepts"] and lesson["concepts_mastered"] == lesson["concepts"]:
                status = f"{status}, all concepts mastered"
            mean = lesson["mastery"]
            mastered = f"{lesson['concepts_mastered']}/{lesson['concepts']}"
            table.add_row(Text(lesson["title"]), status, bar(mean) + Text(f" {mean:.0%}"), mastered)
        parts.append(table)
    due = data["reviews_due"]
    parts.append(Text(f"Reviews due: {due}" + ("  (run `tutor review`)" if due else "")))
    parts.append(Text(f"Streak: {count_days(data['streak_days'])}"))
    working = data["working_analogies"]
    parts.append(Text("Analogies that work for you: " + ("; ".join(working) if working else "not enough answers yet")))
    return Group(*parts)
