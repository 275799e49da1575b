"""The first-run questions: what the learner knows and how they like to think.

Every question can be skipped with Enter, and /skip skips the rest; the answers
fill the profile fields the tutor fits its analogies and prompts to.
"""

STYLE_CHOICES = {
    "1": ("mechanical", "machines, parts and forces"),
    "2": ("visual", "pictures, shapes and diagrams"),
    "3": ("mathematical", "symbols and equations"),
    "4": ("everyday", "things from daily life"),
}
SKIP_ALL = "/skip"


def parse_style(reply):
    """A style from "2", "visual" or "Visual"; None when the reply names none."""
    reply = reply.strip().lower()
    if reply in STYLE_CHOICES:
        return STYLE_CHOICES[reply][0]
    return next((style for style, _ in STYLE_CHOICES.values() if style == reply), None)


def onboard(console, profile):
    """Ask the onboarding questions and write the answers into `profile`.
    Returns False if the learner skipped them all."""
    console.panel(
        "Welcome to PocketTutor",
        "Three quick questions so I can pick pictures that suit you. "
        "Press Enter to skip one, or type `/skip` to skip them all.",
    )
    experience = console.ask("What do you already know about machine learning? > ").strip()
    if experience == SKIP_ALL:
        return False
    profile.experience = experience
    choices = "\n".join(f"- **{key}** {style}: {what}" for key, (style, what) in STYLE_CHOICES.items())
    console.say("Which kind of analogy helps you most?\n\n" + choices)
    while True:
        reply = console.ask("1-4 > ").strip()
        if reply == SKIP_ALL:
            return True
        if not reply or parse_style(reply):
            profile.thinking_style = parse_style(reply) if reply else None
            break
        console.notice("Type 1, 2, 3 or 4 (or press Enter to skip).")
    preferences = console.ask("Anything else about how you like to learn (say, short explanations)? > ").strip()
    if preferences and preferences != SKIP_ALL:
        profile.preferences = [preferences]
    return True
