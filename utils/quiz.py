"""Question sets outside a lesson: the spaced reviews that are due, and the
remedial exam of a course, with the exam's report.

An item is (lesson ref, concept id, question id). A result is the item with
the verdict ("skipped" when the learner moved on) and the grade's ideas.
"""

from dataclasses import dataclass, field

from pockettutor.utils.reviews import due


@dataclass(frozen=True)
class Item:
    lesson: str  # COURSE/LESSON
    concept: str
    question: str
    review_of: str | None = None  # the question whose review is due, when another one of its concept is asked

    @property
    def concept_key(self):
        return f"{self.lesson}/{self.concept}"


@dataclass
class Result:
    item: Item
    verdict: str  # correct | partial | incorrect | skipped
    misconceptions: list = field(default_factory=list)
    answer: str = ""


def due_items(library, profile, now):
    """The reviews that are due, most overdue first, skipping any no longer in
    the library. A due question is asked as the question of its concept
    reviewed longest ago (itself, when that is it), so a review tests the idea
    rather than the memory of one question's wording."""
    known = set(library.lesson_refs())
    items, asked = [], set()
    for key in due(profile.reviews, now):
        lesson, concept_id, question_id = key.rsplit("/", 2)
        if lesson not in known:
            continue
        concept = next((c for c in library.lesson(lesson).concepts if c.id == concept_id), None)
        if concept is None or question_id not in {q.id for q in concept.questions}:
            continue
        choices = [q.id for q in concept.questions if f"{lesson}/{concept_id}/{q.id}" not in asked]
        chosen = min(choices, key=lambda qid: _last_review(profile.reviews.get(f"{lesson}/{concept_id}/{qid}")))
        asked.add(f"{lesson}/{concept_id}/{chosen}")
        items.append(Item(lesson, concept_id, chosen, None if chosen == question_id else question_id))
    return items


def _last_review(card_state):
    """Sortable: never reviewed first, then the oldest review."""
    return (card_state or {}).get("last_review") or ""


def exam_lessons(library, course_id, started, whole_course=False):
    """The course's lessons an exam covers: those the learner has started (every
    one with `whole_course`), in teaching order."""
    refs = [f"{course_id}/{lesson_id}" for lesson_id in library.courses()[course_id].lessons]
    return refs if whole_course else [ref for ref in refs if ref in started]


def exam_items(library, lesson_refs, mastery, count):
    """Up to `count` questions of these lessons, weakest concepts first: one
    question per concept in order of mastery (never answered counts as 0), then
    a second round, and so on. Ties keep the teaching order."""
    concepts = []
    for ref in lesson_refs:
        for concept in library.lesson(ref).concepts:
            questions = [Item(ref, concept.id, q.id) for q in concept.questions]
            concepts.append((mastery.get(f"{ref}/{concept.id}", 0.0), len(concepts), questions))
    concepts.sort(key=lambda entry: (entry[0], entry[1]))
    items, round_number = [], 0
    while len(items) < count and any(round_number < len(qs) for _, _, qs in concepts):
        items += [qs[round_number] for _, _, qs in concepts if round_number < len(qs)]
        round_number += 1
    return items[:count]


def confusions(library, results):
    """Pairs of concepts the learner mixes up: a wrong answer to one concept
    that states a key idea of another concept in the same course, or that holds
    a misconception the author marked as confusing the two."""
    from pockettutor.utils.grading import grade as grade_offline

    pairs = []
    for result in results:
        if result.verdict not in ("incorrect", "partial") or not result.answer:
            continue
        course = result.item.lesson.split("/")[0]
        question = library.lesson(result.item.lesson).concept(result.item.concept).question(result.item.question)
        for misconception in question.misconceptions:
            if misconception.id in result.misconceptions and misconception.confused_with:
                pairs.append((result.item.concept_key, _qualified(misconception.confused_with, result.item.lesson)))
        for other_ref in (r for r in library.lesson_refs() if r.startswith(course + "/")):
            other = library.lesson(other_ref)
            for concept in other.concepts:
                if f"{other_ref}/{concept.id}" == result.item.concept_key:
                    continue
                if any(grade_offline(q, result.answer, other.synonyms).verdict == "correct" for q in concept.questions):
                    pairs.append((result.item.concept_key, f"{other_ref}/{concept.id}"))
    unique = []
    for pair in pairs:
        if pair not in unique and pair[0] != pair[1]:
            unique.append(pair)
    return unique


def _qualified(ref, lesson_ref):
    """A confused_with reference as COURSE/LESSON/CONCEPT (a bare id is in the same lesson)."""
    return ref if ref.count("/") == 2 else f"{lesson_ref}/{ref}"


def concept_title(library, concept_key):
    lesson_ref, concept_id = concept_key.rsplit("/", 1)
    return library.lesson(lesson_ref).concept(concept_id).title


VERDICT_WORDS = {"correct": "right", "partial": "partly there", "incorrect": "not yet", "skipped": "skipped"}


def itemised(library, results):
    """Markdown: each question, the learner's answer, the verdict and a worked answer."""
    lines = ["", "**Question by question:**"]
    for number, result in enumerate(results, 1):
        item = result.item
        question = library.lesson(item.lesson).concept(item.concept).question(item.question)
        answer = " ".join(result.answer.split()) or "(no answer)"
        lines += [
            "",
            f"{number}. {' '.join(question.prompt.split())}",
            f"   - Your answer ({VERDICT_WORDS[result.verdict]}): {answer}",
            f"   - A good answer: {' '.join(question.reference_answer.split())}",
        ]
    return lines


def exam_report(library, results, total):
    """Markdown: the score out of the `total` questions set, the weak spots, the
    confused pairs, the lessons to revisit, then each question answered."""
    lines = _exam_summary(library, results, total)
    return "\n".join(lines + (itemised(library, results) if results else []))


def _exam_summary(library, results, total):
    clean = sum(1 for r in results if r.verdict == "correct")
    lines = [f"**Score: {clean}/{total}** answered right."]
    if len(results) < total:
        lines.append(f"You stopped after {len(results)} of {total} questions; the rest count as not answered.")
    weak = []
    for result in results:
        if result.verdict != "correct" and result.item.concept_key not in weak:
            weak.append(result.item.concept_key)
    if not weak:
        lines += ["", "No weak spots in this exam. `tutor review` keeps it that way."]
        return lines
    lines += ["", "**Weak spots:**"]
    lines += [f"- {concept_title(library, key)} (`{key.rsplit('/', 1)[0]}`)" for key in weak]
    pairs = confusions(library, results)
    if pairs:
        lines += ["", "**Concepts you mix up:**"]
        lines += [f"- {concept_title(library, a)} with {concept_title(library, b)}" for a, b in pairs]
    order = {ref: index for index, ref in enumerate(library.lesson_refs())}
    lessons = sorted({key.rsplit("/", 1)[0] for key in weak}, key=order.get)
    lines += ["", "**Remedial plan:** revisit these lessons, in this order:"]
    for ref in lessons:
        titles = ", ".join(concept_title(library, key) for key in weak if key.startswith(ref + "/"))
        lines.append(f"1. `tutor learn {ref}`: {library.lesson(ref).title} ({titles})")
    return lines
