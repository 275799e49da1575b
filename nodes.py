"""The tutor's nodes. prep reads the shared store (and the learner, through the
console), exec is pure and may be retried, post writes the store and returns
the action. The logic lives in utils/; these classes only wire it together.

The grader (utils/grading.py) is imported where an answer is graded: a session
loads it with the first answer, not before its first question."""

from datetime import datetime, timezone

from pocketflow import Node

from pockettutor.utils.analogies import next_analogy, ranked, remembered_title, style_shift, vocabulary_name
from pockettutor.utils.call_llm import ServerResting, UnusableReply, failure_reason
from pockettutor.utils.ladder import hint_text, next_step, worked_answer, wrong_answers_exhausted
from pockettutor.utils.progress import count_days, streak
from pockettutor.utils.quiz import Result, exam_report
from pockettutor.utils.replies import help_text, parse_reply
from pockettutor.utils.reviews import due
from pockettutor.utils.session import (
    current,
    lesson_summary,
    new_turn,
    next_lesson,
    next_position,
    persist,
    position_from_progress,
    progress_table,
    recap_text,
    record_position,
    unmet_prerequisites,
)
from pockettutor.utils.stretch import is_strong, stretch_for
from pockettutor.utils.teachers import OfflineTeacher, authored_probe
from pockettutor.utils.turns import MAX_ANSWER_CHARS, bounded, lesson_words, read_turn
from pockettutor.utils.verdicts import answer_after_confirming, concern, confirming_question, needs_confirming, why_text

OFFLINE = OfflineTeacher()


# After this many LLM failures in a row the session stays offline: a dead server
# must not cost the learner a timeout on every turn.
LLM_FAILURES_BEFORE_OFFLINE = 3


def _note_llm_turn(shared, notice, asked_llm=True):
    """Show a fallback notice, count failures in a row, and switch the session
    to the offline engine when there are too many. Only an LLM call that worked
    clears the count: a turn that asked the LLM nothing (an authored analogy) does not."""
    if notice is None:
        if asked_llm:
            shared["llm_failures"] = 0
        return
    console = shared["console"]
    console.notice(notice)
    shared["llm_failures"] += 1
    if shared["llm_failures"] >= LLM_FAILURES_BEFORE_OFFLINE and shared["teacher"].name != OFFLINE.name:
        shared["teacher"] = OFFLINE
        console.notice(
            f"The LLM failed {LLM_FAILURES_BEFORE_OFFLINE} times in a row; the rest of this session is offline."
        )
        shared["transcript"].append({"event": "engine", "engine": OFFLINE.name})


def _read_reply(console):
    """The learner's next non-blank reply; None when input has ended."""
    try:
        reply = ""
        while not reply.strip():
            reply = console.ask("> ")
        return reply
    except EOFError:
        return None


def _help_used(turn):
    """Hints, questions back and unclear lines: each weighs like a hint in mastery."""
    return turn["hints_used"] + turn["helps"]


def _bounded_answer(shared, answer):
    answer, cut = bounded(answer)
    if cut:
        shared["console"].notice(f"That answer is long: I read its first {MAX_ANSWER_CHARS:,} characters.")
    return answer


def _now():
    return datetime.now(timezone.utc)


def _fallback_notice(exc):
    if isinstance(exc, ServerResting):
        return f"{str(exc)[0].upper()}{str(exc)[1:]}; the offline engine takes this turn."
    if isinstance(exc, UnusableReply):
        return f"The LLM's reply could not be used ({exc}); the offline engine takes this turn."
    return f"The LLM did not answer ({failure_reason(exc)}); the offline engine takes this turn."


def _analogy_title(analogy, vocabulary):
    return vocabulary_name(analogy, vocabulary) or "An analogy"


class LoadLesson(Node):
    def prep(self, shared):
        completed = {ref for ref, progress in shared["profile"].lessons.items() if progress.status == "complete"}
        return shared["library"], shared["lesson_ref"], completed

    def exec(self, prep_res):
        library, ref, completed = prep_res
        lesson = library.lesson(ref)
        return lesson, unmet_prerequisites(library, ref, lesson, completed), lesson_words(lesson)

    def post(self, shared, prep_res, res):
        lesson, unmet, words = res
        ref, profile, console = shared["lesson_ref"], shared["profile"], shared["console"]
        shared["lesson"], shared["lesson_words"] = lesson, words
        progress = profile.progress(ref)
        console.rule(lesson.title)
        console.line(f"Engine: {shared['teacher'].describe()}", style="dim")
        due_count = len(due(profile.reviews, _now()))
        if due_count:
            console.notice(f"{due_count} review(s) due: `tutor review` asks them, a few minutes' work.")
        if unmet:
            # A warning, not a refusal: the learner may know the material already.
            more = f" and {len(unmet) - 2} more" if len(unmet) > 2 else ""
            console.notice(f"This lesson builds on {', '.join(unmet[:2])}{more}, not finished yet; carrying on anyway.")
        if progress.status == "complete":
            console.line("You finished this lesson before; here it is again from the start.")
            progress.status, progress.explained, progress.concept, progress.question = "in_progress", False, None, None
        shared["position"] = position_from_progress(lesson, progress)
        profile.current_lesson = ref
        persist(shared)
        if progress.explained:
            # The question refers to teaching no longer on screen: bring its core back first.
            concept, _ = current(lesson, shared["position"])
            console.panel("Welcome back: where we were", recap_text(lesson, shared["position"]), style="cyan")
            shared["transcript"].append({"event": "resume", "concept": concept.id})
            return "resume"
        return "explain"


class Explain(Node):
    def prep(self, shared):
        concept, _ = current(shared["lesson"], shared["position"])
        profile = shared["profile"]
        return {
            "teacher": shared["teacher"],
            "concept": concept,
            "style": profile.thinking_style,
            "failed": profile.failed_analogies(shared["lesson_ref"], concept.id),
            "familiar": profile.familiar_terms(),
            "vocabulary": shared["vocabulary"],
            "profile_summary": profile.summary(),
            "short": profile.wants_short(),
        }

    def _lesson_text(self, teacher, p):
        # The first explanation uses the best-fitting analogy that has not failed this
        # learner, preferring a shared picture that already worked for them.
        concept, style = p["concept"], p["style"]
        analogy = next_analogy(concept, style, p["failed"], (), p["familiar"]) or ranked(concept, style)[0]
        title = _analogy_title(analogy, p["vocabulary"])
        if analogy.term in p["familiar"] and title != "An analogy":
            title = remembered_title(title)
        return {
            "analogy": analogy,
            "chunks": teacher.explanation(p["concept"], analogy, title, p["profile_summary"], p["short"]),
            "notice": None,
        }

    def exec(self, p):
        return self._lesson_text(p["teacher"], p)

    def exec_fallback(self, p, exc):
        return {**self._lesson_text(OFFLINE, p), "notice": _fallback_notice(exc)}

    def post(self, shared, p, res):
        console, lesson, position = shared["console"], shared["lesson"], shared["position"]
        _note_llm_turn(shared, res["notice"])
        kind = "Interlude" if p["concept"].interlude else "Concept"
        title = f"{kind} {position['concept'] + 1}/{len(lesson.concepts)}: {p['concept'].title}"
        text = console.stream_panel(title, res["chunks"])
        # A stream fails while it is shown, after exec: it broke or sent nothing, and the authored text stood in.
        failure = getattr(res["chunks"], "failure", None)
        if failure is not None:
            _note_llm_turn(shared, _fallback_notice(failure))
        shared["profile"].record_analogy(shared["lesson_ref"], p["concept"].id, res["analogy"])
        shared["transcript"].append(
            {"event": "explain", "concept": p["concept"].id, "analogy": res["analogy"].id, "title": title, "text": text}
        )
        shared["turn"] = new_turn()
        record_position(shared["profile"], shared["lesson_ref"], lesson, position, explained=True)
        persist(shared)
        return "ask"


class AskQuestion(Node):
    def prep(self, shared):
        console, turn = shared["console"], shared["turn"]
        _, question = current(shared["lesson"], shared["position"])
        show = turn["probe"] is None and not turn["question_shown"]
        if show:
            console.panel("Question", question.prompt, style="magenta")
        # The question is recorded after the reply is read, but timed from when it was shown.
        shown_at = _now().isoformat(timespec="seconds")
        return {
            "question": question,
            "reply": _read_reply(console),
            "shown": show,
            "shown_at": shown_at,
            "words": shared["lesson_words"],
            "synonyms": shared["lesson"].synonyms,
        }

    def exec(self, p):
        action, text = parse_reply(p["reply"])
        if action != "answer":
            return action, text

        def states_something(line):
            from pockettutor.utils.grading import grade

            found = grade(p["question"], line, p["synonyms"])
            return bool(found.met or found.misconceptions or found.reversed)

        said = read_turn(text, p["words"], states_something)
        if said.kind == "request":
            return {"repeat": "recap", "shorter": "recap", "more": "more", "example": "analogy"}[said.request], text
        return said.kind, text

    def post(self, shared, p, parsed):
        action, answer = parsed
        turn = shared["turn"]
        if action == "answer":
            answer = _bounded_answer(shared, answer)
        if p["shown"]:
            turn["question_shown"] = True
            shared["transcript"].append(
                {
                    "event": "question",
                    "question": p["question"].id,
                    "at": p["shown_at"],
                    "text": p["question"].prompt,
                }
            )
        if p["reply"] is None:
            shared["outcome"] = "eof"
        elif action == "quit":
            shared["outcome"] = "quit"
        if action == "answer":
            if turn["confirming"] is not None:
                turn["answer"] = answer_after_confirming(turn["answer"], turn["confirming"], answer)
                turn["confirming"] = None
            else:
                # A reply to a probe adds to the earlier answer: ideas already stated still count.
                turn["answer"] = f"{turn['answer']}\n{answer}" if turn["probe"] is not None else answer
            shared["transcript"].append({"event": "answer", "question": p["question"].id, "text": answer})
        elif p["reply"] is not None and not p["reply"].strip().startswith("/"):
            # Talk, not an answer: nothing is graded and no picture is retired.
            shared["transcript"].append({"event": "said", "kind": action, "text": answer})
            turn["said"] = answer
            turn["command_text"] = None
        elif p["reply"] is not None:
            shared["transcript"].append({"event": "command", "command": action, "text": p["reply"].strip()})
            turn["skipped"] = action == "skip"
            turn["command_text"] = answer
            turn["unknown_command"] = p["reply"].strip() if action == "help" and p["reply"].strip() != "/help" else None
        return action


class GradeAnswer(Node):
    def prep(self, shared):
        concept, question = current(shared["lesson"], shared["position"])
        return {
            "teacher": shared["teacher"],
            "concept": concept,
            "question": question,
            "answer": shared["turn"]["answer"],
            "synonyms": shared["lesson"].synonyms,
            "profile_summary": shared["profile"].summary(),
        }

    def exec(self, p):
        return p["teacher"].grade(p["question"], p["answer"], p["synonyms"], p["profile_summary"]), None

    def exec_fallback(self, p, exc):
        if p["teacher"].name == OFFLINE.name:
            raise exc
        from pockettutor.utils.grading import grade

        return grade(p["question"], p["answer"], p["synonyms"]), _fallback_notice(exc)

    def post(self, shared, p, res):
        result, notice = res
        console, turn, ref = shared["console"], shared["turn"], shared["lesson_ref"]
        _note_llm_turn(shared, notice)
        turn["last_grade"] = result
        if needs_confirming(result) and not turn["confirmed"]:
            # Weak or mixed evidence: ask about it once instead of a confident verdict.
            shared["transcript"].append(
                {
                    "event": "unsure",
                    "question": p["question"].id,
                    "confidence": result.confidence,
                    "verdict": result.verdict,
                }
            )
            return "confirm"
        turn["attempts"] += 1
        profile = shared["profile"]
        mastery_key = f"{ref}/{p['concept'].id}"
        shared["last_verdict"] = {
            "lesson": ref,
            "concept": p["concept"].id,
            "question": p["question"],
            "answer": p["answer"],
            "grade": result,
            "mastery_key": mastery_key,
            "mastery_before": profile.mastery.get(mastery_key),
            "disputed": False,
        }
        profile.record_outcome(ref, p["concept"].id, result.verdict)
        profile.record_answer(ref, p["concept"].id, result.verdict, _help_used(turn), turn["attempts"], _now().date())
        turn["wrong_answers"] += result.verdict == "incorrect"
        shift = style_shift(profile.style_counts(), profile.thinking_style)
        if shift:
            style, reason = shift
            shared["transcript"].append({"event": "style", "from": profile.thinking_style, "to": style})
            profile.change_style(style, reason)
            console.notice(f"Adjusting to your style: {reason}, so I'll lead with {style} pictures from now on.")
        shared["transcript"].append(
            {
                "event": "grade",
                "concept": p["concept"].id,
                "question": p["question"].id,
                "at": _now().isoformat(timespec="seconds"),
                "attempt": turn["attempts"],
                **result.as_record(),
                "feedback": result.feedback,
            }
        )
        ideas = {idea.id: idea for idea in p["question"].key_ideas}
        if result.verdict == "correct":
            console.line("Correct.", style="bold green")
            console.say("You covered:\n" + "\n".join(f"- {ideas[i].description}" for i in result.met))
        elif result.verdict == "partial":
            console.line("Partly there: part of the idea is in your answer, part is missing.", style="bold yellow")
        else:
            console.line("Not yet.", style="bold red")
        if result.feedback:
            console.say(result.feedback)
        action = result.verdict
        # Two follow-ups that still leave a gap: a new picture helps more than a third probe.
        if action == "partial" and turn["probes"] >= 2:
            action = "incorrect"
        if action != "partial":
            turn["probe"] = None
        turn["confirmed"] = False
        persist(shared)
        return action


class Challenge(Node):
    """After a right answer: sometimes a stretch question (utils/stretch.py),
    optional and ungraded, then how a strong answer goes. Else straight on."""

    def prep(self, shared):
        concept, _ = current(shared["lesson"], shared["position"])
        turn, profile = shared["turn"], shared["profile"]
        strong = is_strong(turn["last_grade"], turn["attempts"], turn["hints_used"])
        count = shared["strong_answers"] + strong
        chosen = stretch_for(concept, shared["stretched"], count, profile.wants_push()) if strong else None
        reply = None
        if chosen is not None:
            shared["console"].panel(
                "Push further",
                chosen.prompt.strip() + "\n\n*Optional: answer in a sentence or two, or type /skip to move on.*",
                style="magenta",
            )
            reply = _read_reply(shared["console"])
        return {"concept": concept, "count": count, "chosen": chosen, "reply": reply}

    def exec(self, p):
        return parse_reply(p["reply"]) if p["chosen"] is not None else None

    def post(self, shared, p, parsed):
        shared["strong_answers"] = p["count"]
        chosen = p["chosen"]
        if chosen is None:
            return "advance"
        shared["stretched"].append(f"{p['concept'].id}/{chosen.id}")
        action, text = parsed
        transcript = shared["transcript"]
        transcript.append({"event": "stretch", "id": chosen.id, "text": chosen.prompt})
        if action == "quit":
            shared["outcome"] = "eof" if p["reply"] is None else "quit"
            return "quit"
        if action == "answer":
            transcript.append({"event": "stretch_answer", "id": chosen.id, "text": text})
        shared["console"].panel("How a strong answer goes", chosen.answer.strip(), style="green")
        return "advance"


class Confirm(Node):
    """Weak or mixed evidence: a short question about the learner's own words
    before any verdict. Asked once per answer; the reply joins the answer."""

    def prep(self, shared):
        _, question = current(shared["lesson"], shared["position"])
        return question, shared["turn"]["last_grade"]

    def exec(self, p):
        return confirming_question(*p)

    def post(self, shared, p, res):
        text, quote = res
        shared["console"].panel("Let me check", text, style="yellow")
        turn = shared["turn"]
        turn["probe"], turn["confirming"], turn["confirmed"] = text, quote, True
        shared["transcript"].append({"event": "confirm", "question": p[0].id, "quote": quote, "text": text})
        return "ask"


class Why(Node):
    """/why: the evidence behind the last verdict."""

    def prep(self, shared):
        return shared.get("last_verdict")

    def exec(self, last):
        if last is None:
            return "Nothing graded yet in this session: answer a question first."
        return why_text(last["question"], last["grade"])

    def post(self, shared, p, text):
        shared["console"].panel("Why", text, style="blue")
        shared["transcript"].append({"event": "why", "text": text})
        return "ask"


class Disagree(Node):
    """/disagree: the learner objects to the last verdict. The objection is
    recorded for instructors, and the verdict's evidence leaves mastery until
    an instructor resolves it."""

    def prep(self, shared):
        return shared.get("last_verdict"), shared["turn"].get("command_text") or ""

    def exec(self, p):
        last, reason = p
        if last is None or last["disputed"]:
            return None
        result = last["grade"]
        return {
            "at": _now().isoformat(timespec="seconds"),
            "question": f"{last['lesson']}/{last['concept']}/{last['question'].id}",
            "answer": last["answer"],
            **result.as_record(),
            "reason": reason,
            "status": "open",
        }

    def post(self, shared, p, dispute):
        console, last = shared["console"], p[0]
        if dispute is None:
            console.notice(
                "There is no verdict to dispute yet." if last is None else "You already disputed that verdict."
            )
            return "ask"
        shared["disputes"].append(dispute)
        shared["transcript"].append({"event": "dispute", **dispute})
        last["disputed"] = True
        profile = shared["profile"]
        if last["mastery_before"] is None:
            profile.mastery.pop(last["mastery_key"], None)
        else:
            profile.mastery[last["mastery_key"]] = last["mastery_before"]
        persist(shared)
        console.line(
            f"Noted: your objection to that '{dispute['verdict']}' is recorded for the instructors "
            "with your answer and my evidence. It no longer counts toward your mastery; the question "
            "comes back in your reviews.",
            style="dim",
        )
        return "ask"


class Probe(Node):
    def prep(self, shared):
        _, question = current(shared["lesson"], shared["position"])
        return {
            "teacher": shared["teacher"],
            "question": question,
            "grade": shared["turn"]["last_grade"],
            "answer": shared["turn"]["answer"],
            "synonyms": shared["lesson"].synonyms,
        }

    def exec(self, p):
        return p["teacher"].probe(p["question"], p["grade"], p["answer"], p["synonyms"]), None

    def exec_fallback(self, p, exc):
        return authored_probe(p["question"], p["grade"]), _fallback_notice(exc)

    def post(self, shared, p, res):
        text, notice = res
        _note_llm_turn(shared, notice)
        shared["console"].panel("Follow-up", text, style="yellow")
        turn = shared["turn"]
        turn["probe"], turn["probes"] = text, turn["probes"] + 1
        if not p["grade"].missed and p["grade"].misconceptions:
            # The follow-up is about a wrong claim: the reply stands in for it.
            turn["confirming"] = p["grade"].quote("misconception", p["grade"].misconceptions[0])
        shared["transcript"].append(
            {"event": "probe", "question": p["question"].id, "idea": (p["grade"].missed or [None])[0], "text": text}
        )
        return "ask"


class ReExplain(Node):
    """After a wrong answer: an analogy this learner has not seen fail, and a
    pointer at what was missed, never the answer."""

    with_pointer = True
    heading = "Let's look at it another way"

    def prep(self, shared):
        concept, question = current(shared["lesson"], shared["position"])
        profile, ref = shared["profile"], shared["lesson_ref"]
        return {
            "teacher": shared["teacher"],
            "concept": concept,
            "question": question,
            "grade": shared["turn"]["last_grade"],
            "style": profile.thinking_style,
            "failed": profile.failed_analogies(ref, concept.id),
            "shown": profile.shown_analogies(ref, concept.id),
            "written": profile.written_analogies(ref, concept.id),
            "profile_summary": profile.summary(),
            "synonyms": shared["lesson"].synonyms,
            "exhausted": self.with_pointer and wrong_answers_exhausted(shared["turn"]["wrong_answers"]),
        }

    def _pointer(self, p):
        result = p["grade"]
        if not self.with_pointer or result is None:
            return None
        remedies = {m.id: m.remedy for m in p["question"].misconceptions}
        if result.misconceptions:
            return remedies[result.misconceptions[0]]
        return authored_probe(p["question"], result)

    def exec(self, p):
        if p["exhausted"]:
            return {"analogy": None, "pointer": None, "notice": None, "worked": True, "asked_llm": False}
        analogy = next_analogy(p["concept"], p["style"], p["failed"], p["shown"])
        if analogy is not None:
            return {"analogy": analogy, "pointer": self._pointer(p), "notice": None, "asked_llm": False}
        # The authored pictures are used up: the LLM, if there is one, writes a new one.
        avoid = [a.text for a in p["concept"].analogies if a.id in p["failed"]]
        avoid += [r.text for r in p["written"] if r.outcome == "failed"]
        number = len({r.analogy for r in p["written"]}) + 1
        analogy = p["teacher"].new_analogy(p["concept"], p["profile_summary"], avoid, number)
        asked_llm = p["teacher"].name != OFFLINE.name
        known = p["grade"].met if p["grade"] else ()
        from pockettutor.utils.grading import reveals

        if analogy is not None and reveals(p["question"], analogy.text, p["synonyms"], known):
            # A written picture that hands over the answer is never shown: the authored hint is.
            hint = p["question"].hints[0] if p["question"].hints else None
            pointer = hint or self._pointer(p)
            return {"analogy": None, "pointer": pointer, "notice": None, "withheld": True, "asked_llm": asked_llm}
        if analogy is None:
            # No picture left: never the same lecture twice, only what to think about.
            pointer, withheld = self._pointer(p), self.with_pointer
            return {"analogy": None, "pointer": pointer, "notice": None, "withheld": withheld, "asked_llm": asked_llm}
        return {"analogy": analogy, "pointer": self._pointer(p), "notice": None, "asked_llm": asked_llm}

    def exec_fallback(self, p, exc):
        return {"analogy": None, "pointer": self._pointer(p), "notice": _fallback_notice(exc), "withheld": True}

    def post(self, shared, p, res):
        console, ref = shared["console"], shared["lesson_ref"]
        _note_llm_turn(shared, res["notice"], res.get("asked_llm", True))
        analogy = res["analogy"]
        if res.get("worked"):
            return "worked"
        if analogy is None and not res.get("withheld"):
            console.notice("No other picture left for this concept. /more shows the whole explanation again.")
            return "ask"
        if analogy is not None:
            body = analogy.text.strip()
            name = vocabulary_name(analogy, shared["vocabulary"])
            title = f"{self.heading}: {name}" if name else self.heading
            authored = any(a.id == analogy.id for a in p["concept"].analogies)
            shared["profile"].record_analogy(ref, p["concept"].id, analogy, None if authored else analogy.text)
        else:
            body, title = "", self.heading
        if res["pointer"]:
            body += ("\n\n" if body else "") + "**Think about this:** " + res["pointer"]
        console.panel(title, body, style="cyan")
        shared["transcript"].append(
            {
                "event": "reexplain" if self.with_pointer else "analogy",
                "concept": p["concept"].id,
                "analogy": analogy.id if analogy else None,
                "title": title,
                "text": body,
            }
        )
        turn = shared["turn"]
        if self.with_pointer:
            turn["question_shown"], turn["probe"], turn["answer"] = False, None, ""
        elif turn["probe"] is None:
            turn["question_shown"] = False
        # else /analogy during a follow-up: the follow-up and the answer so far still stand.
        persist(shared)
        return "ask"


class AnotherAnalogy(ReExplain):
    """/analogy: the learner asks for a different picture."""

    with_pointer = False
    heading = "Another way to see it"


class Hint(Node):
    def prep(self, shared):
        _, question = current(shared["lesson"], shared["position"])
        return question, shared["turn"]["hints_used"]

    def exec(self, p):
        question, used = p
        if used < len(question.hints):
            return hint_text(question, used)
        return None

    def post(self, shared, p, text):
        if text is None:
            shared["console"].notice("No more hints for this question. Try /analogy for another picture, or /skip.")
        else:
            _show_hint(shared, p[0], text)
        return "ask"


def _show_hint(shared, question, text):
    turn = shared["turn"]
    turn["hints_used"] += 1
    shared["console"].panel("Hint", text, style="yellow")
    shared["transcript"].append({"event": "hint", "question": question.id, "number": turn["hints_used"], "text": text})


class DontKnow(Node):
    """ "I don't know": the next rung of the ladder (utils/ladder.py), never a
    verdict. It is evidence of not knowing yet, so mastery hears of it, but no
    picture is retired."""

    def prep(self, shared):
        concept, question = current(shared["lesson"], shared["position"])
        turn = shared["turn"]
        met = turn["last_grade"].met if turn["last_grade"] else ()
        return concept, question, turn["hints_used"], turn["smaller_asked"], met

    def exec(self, p):
        _, question, hints_used, smaller_asked, met = p
        return next_step(question, hints_used, smaller_asked, met)

    def post(self, shared, p, step):
        concept, question = p[0], p[1]
        console, turn, profile = shared["console"], shared["turn"], shared["profile"]
        turn["attempts"] += 1
        ref, today = shared["lesson_ref"], _now().date()
        profile.record_answer(ref, concept.id, "incorrect", _help_used(turn), turn["attempts"], today, practised=False)
        turn["confirming"] = None
        persist(shared)
        if step.kind == "worked":
            return "worked"
        console.line("That's all right. Let's take it a step at a time.", style="bold")
        if step.kind == "hint":
            _show_hint(shared, question, hint_text(question, step.number - 1))
        else:
            turn["smaller_asked"] += 1
            turn["probe"] = step.text
            console.panel("A smaller step", step.text, style="yellow")
            shared["transcript"].append({"event": "smaller", "question": question.id, "text": step.text})
        return "ask"


class AnswerQuestion(Node):
    """A question back, answered from the lesson (utils/lookup.py), never with
    the pending question's answer. Then back to the question."""

    def prep(self, shared):
        concept, question = current(shared["lesson"], shared["position"])
        return shared["teacher"], (shared["turn"]["said"], shared["lesson"], concept, question, shared["vocabulary"])

    def exec(self, p):
        teacher, asked = p
        return teacher.answer_question(*asked), None

    def exec_fallback(self, p, exc):
        return OFFLINE.answer_question(*p[1]), _fallback_notice(exc)

    def post(self, shared, p, res):
        found, notice = res
        _note_llm_turn(shared, notice)
        console, turn = shared["console"], shared["turn"]
        turn["helps"] += 1
        if found.found:
            text = f"{found.text}\n\n*From {found.source}.* Back to the question: answer in your own words."
            console.panel("From the lesson", text, style="blue")
        elif found.withheld:
            text = (
                "Good question, and the lesson answers it, but that answer would give this question away. "
                "Ask me again once you have answered it; `/hint` gives a nudge meanwhile."
            )
            console.notice(text)
        else:
            text = (
                "I can't answer that from this lesson's text. `/more` shows the whole explanation, "
                "`/analogy` another picture, `/hint` a nudge."
            )
            console.notice(text)
        shared["transcript"].append({"event": "lookup", "asked": p[1][0], "found": found.found, "text": text})
        return "ask"


class Unclear(Node):
    """A line with no words in it: ask again, grade nothing."""

    def post(self, shared, p, _):
        shared["turn"]["helps"] += 1
        shared["console"].notice(
            "I didn't catch an answer there. Answer in your own words, say \"I don't know\", "
            "ask me a question, or type /help."
        )
        return "ask"


class Recap(Node):
    """/recap: where the learner is and the concept's core, then the question."""

    full = False
    heading = "Recap"

    def prep(self, shared):
        return shared["lesson"], shared["position"]

    def exec(self, p):
        return recap_text(*p, full=self.full)

    def post(self, shared, p, text):
        shared["console"].panel(self.heading, text, style="cyan")
        shared["transcript"].append({"event": "recap", "full": self.full, "text": text})
        if shared["turn"]["probe"] is None:
            shared["turn"]["question_shown"] = False
        return "ask"


class More(Recap):
    """/more: the concept's whole explanation, then the question."""

    full = True
    heading = "The whole explanation"


class WorkedAnswer(Node):
    """The end of the ladder, or /skip: how a good answer goes, then the next question."""

    def prep(self, shared):
        return current(shared["lesson"], shared["position"])[1]

    def exec(self, question):
        return worked_answer(question)

    def post(self, shared, question, text):
        shared["console"].panel("A worked answer", text, style="green")
        shared["transcript"].append({"event": "worked", "question": question.id, "text": text})
        shared["turn"]["worked"] = True
        return "next"


class Advance(Node):
    """After a right answer or /skip: the next question, the next concept, or the end."""

    def prep(self, shared):
        return shared["lesson"], shared["position"]

    def exec(self, p):
        return next_position(*p)

    def post(self, shared, p, res):
        action, position = res
        lesson, ref, profile = shared["lesson"], shared["lesson_ref"], shared["profile"]
        concept, question = current(lesson, shared["position"])
        turn = shared["turn"]
        skipped = turn["skipped"]
        if skipped:
            profile.progress(ref).skipped.append(f"{concept.id}/{question.id}")
        # Nothing graded counts as a skip for the review schedule; a worked answer, as a miss.
        if skipped or (turn["last_grade"] is None and not turn["worked"]):
            verdict = "skipped"
        elif turn["worked"]:
            verdict = "incorrect"
        else:
            verdict = turn["last_grade"].verdict
        profile.schedule_review(ref, concept.id, question.id, verdict, turn["hints_used"], turn["attempts"], _now())
        shared["transcript"].append(
            {
                "event": "advance",
                "from": f"{concept.id}/{question.id}",
                "to": action,
                "skipped": skipped,
                "worked": turn["worked"],
            }
        )
        shared["position"], shared["turn"] = position, new_turn()
        if action == "complete":
            profile.progress(ref).status = "complete"
        else:
            record_position(profile, ref, lesson, position, explained=action == "next_question")
        persist(shared)
        return action


class ShowProgress(Node):
    def prep(self, shared):
        profile = shared["profile"]
        table_args = (
            shared["lesson"],
            shared["lesson_ref"],
            profile,
            shared["position"],
            shared["transcript"],
            shared["vocabulary"],
        )
        now = _now()
        return table_args, len(due(profile.reviews, now)), streak(profile.active_days, now.date()), shared["llm_usage"]

    def exec(self, p):
        table_args, due_count, days, llm_usage = p
        footer = f"Reviews due: {due_count} · streak: {count_days(days)}"
        if llm_usage:
            footer += "\n" + llm_usage[0].describe(llm_usage[1])
        return progress_table(*table_args), footer

    def post(self, shared, p, res):
        table, footer = res
        shared["console"].print(table)
        shared["console"].line(footer, style="dim")
        return "ask"


class ShowHelp(Node):
    def prep(self, shared):
        return shared["turn"].get("unknown_command")

    def exec(self, unknown):
        intro = f"`{unknown.split()[0]}` is not a command.\n\n" if unknown else ""
        return intro + help_text()

    def post(self, shared, p, text):
        shared["console"].panel("Commands", text, style="blue")
        return "ask"


class LessonComplete(Node):
    def prep(self, shared):
        library, ref = shared["library"], shared["lesson_ref"]
        following = next_lesson(library.lesson_refs(), shared["profile"], ref)
        return shared["lesson"], shared["transcript"], following and library.lesson(following).title

    def exec(self, p):
        return lesson_summary(*p)

    def post(self, shared, p, summary):
        shared["console"].panel("Lesson complete", summary, style="green")
        shared["outcome"] = "complete"
        return "end"


class EndSession(Node):
    def prep(self, shared):
        return shared["outcome"], shared["lesson_ref"]

    def post(self, shared, p, _):
        outcome, ref = p
        persist(shared)
        shared["transcript"].append({"event": "end", "outcome": outcome})
        if shared["llm_usage"] and shared["llm_usage"][0].calls:
            usage, price = shared["llm_usage"]
            shared["console"].line(usage.describe(price), style="dim")
        if outcome != "complete":
            resume = shared["resume_command"]
            shared["console"].line(f"Progress saved. `{resume}` picks up at this question.", style="dim")
        return None


# --- Reviews and exams: questions outside a lesson (create_quiz_flow) ---------


class QuizNext(Node):
    """The next question of the set, or the report when there is none."""

    def prep(self, shared):
        return shared["quiz"]

    def post(self, shared, quiz, _):
        if shared["outcome"] or quiz["index"] >= len(quiz["items"]):
            return "report"
        item = quiz["items"][quiz["index"]]
        concept = shared["library"].lesson(item.lesson).concept(item.concept)
        heading = "Review" if quiz["mode"] == "review" else "Exam question"
        shared["console"].rule(f"{heading} {quiz['index'] + 1}/{len(quiz['items'])}: {concept.title}")
        return "ask"


class QuizAsk(Node):
    def prep(self, shared):
        item = shared["quiz"]["items"][shared["quiz"]["index"]]
        lesson = shared["library"].lesson(item.lesson)
        question = lesson.concept(item.concept).question(item.question)
        shared["console"].panel("Question", question.prompt, style="magenta")
        return {"lesson": lesson, "question": question, "reply": _read_reply(shared["console"])}

    def exec(self, p):
        return parse_reply(p["reply"])

    def post(self, shared, p, parsed):
        action, answer = parsed
        quiz = shared["quiz"]
        if action == "answer":
            answer = _bounded_answer(shared, answer)
            quiz["current"] = {"lesson": p["lesson"], "question": p["question"], "answer": answer}
            return "answer"
        if action == "skip":
            quiz["results"].append(Result(quiz["items"][quiz["index"]], "skipped"))
            quiz["index"] += 1
            return "next"
        if action == "quit":
            shared["outcome"] = "quit" if p["reply"] is not None else "eof"
            return "next"
        shared["console"].notice("Here: an answer, /skip or /quit. Hints and pictures are for lessons.")
        return "again"


class QuizGrade(Node):
    def prep(self, shared):
        current_question = shared["quiz"]["current"]
        return {**current_question, "teacher": shared["teacher"], "profile_summary": shared["profile"].summary()}

    def exec(self, p):
        return p["teacher"].grade(p["question"], p["answer"], p["lesson"].synonyms, p["profile_summary"]), None

    def exec_fallback(self, p, exc):
        from pockettutor.utils.grading import grade

        return grade(p["question"], p["answer"], p["lesson"].synonyms), _fallback_notice(exc)

    def post(self, shared, p, res):
        result, notice = res
        console, quiz, profile = shared["console"], shared["quiz"], shared["profile"]
        if notice:
            console.notice(notice)
        item = quiz["items"][quiz["index"]]
        now = _now()
        profile.record_answer(item.lesson, item.concept, result.verdict, 0, 1, now.date())
        profile.schedule_review(item.lesson, item.concept, item.question, result.verdict, 0, 1, now)
        if item.review_of:
            # Asked in its place: the due question's review is answered by this one.
            profile.schedule_review(item.lesson, item.concept, item.review_of, result.verdict, 0, 1, now)
        quiz["results"].append(Result(item, result.verdict, list(result.misconceptions), p["answer"]))
        quiz["index"] += 1
        if quiz["mode"] == "exam":
            console.line("Answer recorded.", style="dim")
        else:
            ideas = {idea.id: idea for idea in p["question"].key_ideas}
            verdicts = {"correct": "Correct.", "partial": "Partly there.", "incorrect": "Not yet."}
            console.line(verdicts[result.verdict], style="bold")
            if result.met:
                console.say("You covered:\n" + "\n".join(f"- {ideas[i].description}" for i in result.met))
            if result.verdict != "correct":
                console.say(
                    f"To think over: {concern(p['question'], result) or authored_probe(p['question'], result)}"
                    f"  \n`tutor learn {item.lesson}`"
                )
        persist(shared)
        return "next"


class QuizReport(Node):
    def prep(self, shared):
        return shared["quiz"], shared["library"], shared["profile"]

    def exec(self, p):
        quiz, library, profile = p
        if quiz["mode"] == "exam":
            return exam_report(library, quiz["results"], len(quiz["items"]))
        answered = [r for r in quiz["results"] if r.verdict != "skipped"]
        right = sum(1 for r in answered if r.verdict == "correct")
        return f"Reviewed {len(answered)} question(s), {right} right. The schedule is updated."

    def post(self, shared, p, report):
        title = "Exam result" if shared["quiz"]["mode"] == "exam" else "Review done"
        shared["console"].panel(title, report, style="green")
        persist(shared)
        return "end"


class QuizEnd(Node):
    def post(self, shared, p, _):
        return None
