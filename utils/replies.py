"""What the learner typed: an answer, or one of the in-session commands."""

COMMANDS = {
    "/hint": ("hint", "a hint for this question (each asks for the next, gentler ones first)"),
    "/analogy": ("analogy", "another analogy for this concept"),
    "/skip": ("skip", "see a worked answer and move on (recorded as skipped)"),
    "/recap": ("recap", "the concept's core again, and the question"),
    "/more": ("more", "the concept's whole explanation again, and the question"),
    "/why": ("why", "the evidence behind the last verdict: what I saw in your words, what is still missing"),
    "/disagree": ("disagree", "object to the last verdict (add your reason after it); instructors review it"),
    "/progress": ("progress", "where you are in this lesson"),
    "/help": ("help", "this list"),
    "/quit": ("quit", "save and leave; `tutor learn` resumes at this question"),
}
ALIASES = {"/h": "/hint", "/a": "/analogy", "/exit": "/quit", "/q": "/quit", "/?": "/help"}


def parse_reply(text):
    """(action, text): action is 'answer' (text: the answer) or a command's
    action (text: what follows the command, e.g. the reason after /disagree);
    an unknown command shows the help."""
    if text is None:
        return "quit", None
    stripped = text.strip()
    if stripped.startswith("/"):
        word, _, rest = stripped.partition(" ")
        word = ALIASES.get(word.lower(), word.lower())
        if word in COMMANDS:
            return COMMANDS[word][0], rest.strip()
        return "help", None
    return "answer", stripped


def help_text():
    rows = "\n".join(f"- `{name}`: {description}" for name, (_, description) in COMMANDS.items())
    return (
        "Type your answer in your own words and press Enter "
        "(Alt+Enter, or Esc then Enter, starts a new line on a terminal). "
        'You can also just talk: ask what a word means, say "I don\'t know" for a nudge, '
        "or ask for an example.\n\n" + rows
    )
