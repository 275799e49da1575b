"""A labelled sample added to one question of a lesson file, as text.

The file is an instructor's: its comments, its quoting and its line breaks stay
byte for byte. Re-emitting the YAML would not keep them (ruamel.yaml's round
trip re-wraps flow lists and long strings; see docs/design.md), so the sample's
lines are inserted where the parsed node tree says the question's samples end,
indented like the items already there, and everything else is left alone. The
edited text is parsed again and must hold exactly the old data plus the sample.
"""

import copy
import json
import re
from dataclasses import dataclass

import yaml

from pockettutor.utils.errors import SourceError
from pockettutor.utils.yaml_source import parse_yaml

# What a YAML double-quoted scalar may not hold as it is: characters outside YAML's printable
# set, and the line breaks beyond \n that YAML would fold (NEL, LS, PS). JSON escapes the rest.
NEEDS_ESCAPE = re.compile("[^\x09\x0a\x0d\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def double_quoted(text):
    """`text` as a YAML double-quoted scalar on one line: JSON's escapes are YAML's."""
    quoted = json.dumps(text, ensure_ascii=False)
    return NEEDS_ESCAPE.sub(lambda match: f"\\u{ord(match.group()):04x}", quoted)


@dataclass(frozen=True)
class SampleEdit:
    """The lesson text with the sample added (None when it was there already), and
    the 1-based lines the sample occupies."""

    text: str | None
    first_line: int
    last_line: int
    existing_label: str | None = None


def add_sample(text, path, concept_id, question_id, sample_text, label):
    """Add {text, label} at the end of the question's samples (creating `samples:`
    when it has none). A sample with the same text is never added twice: its
    lines are returned with the label it already has."""
    document = parse_yaml(text, path)
    question, loc = _find_question(document, concept_id, question_id)
    question_node = _node(document.root, loc)
    samples_node = _value(question_node, "samples")
    for index, sample in enumerate(question.get("samples") or []):
        if isinstance(sample, dict) and sample.get("text") == sample_text:
            item = samples_node.value[index]
            return SampleEdit(None, item.start_mark.line + 1, _line_of(text, _content_end(text, item)), sample["label"])
    if question_node.flow_style:
        raise _error(path, question_node, f"question '{question_id}' is written in flow style; add the sample by hand")
    quoted = double_quoted(sample_text)
    if samples_node is None:
        key_column = question_node.value[0][0].start_mark.column
        dash_column = key_column + _sequence_offset(question_node)
        item = _item_lines(quoted, label, dash_column, dash_column + 2, flow=_file_uses_flow_samples(document.root))
        edited, first = _insert_lines(text, _content_end(text, question_node), [" " * key_column + "samples:", *item])
        first += 1  # the sample itself starts below its key
    elif not isinstance(samples_node, yaml.SequenceNode):
        raise _error(path, samples_node, "samples: expected a list; fix it before adding a sample")
    elif samples_node.flow_style:
        edited, first = _insert_in_flow(text, samples_node, quoted, label)
    else:
        last = samples_node.value[-1]
        dash_column = _dash_column(text, last)
        flow = isinstance(last, yaml.MappingNode) and last.flow_style
        item = _item_lines(quoted, label, dash_column, last.start_mark.column, flow=flow)
        edited, first = _insert_lines(text, _content_end(text, last), item)
    _check_edit(document, edited, path, loc, {"text": sample_text, "label": label})
    added = parse_yaml(edited, path)
    new_item = _node(added.root, (*loc, "samples", -1))
    return SampleEdit(edited, first, _line_of(edited, _content_end(edited, new_item)))


def _find_question(document, concept_id, question_id):
    data = document.data if isinstance(document.data, dict) else {}
    for ci, concept in enumerate(data.get("concepts") or []):
        if isinstance(concept, dict) and concept.get("id") == concept_id:
            for qi, question in enumerate(concept.get("questions") or []):
                if isinstance(question, dict) and question.get("id") == question_id:
                    return question, ("concepts", ci, "questions", qi)
    raise SourceError(document.path, f"no question '{concept_id}/{question_id}' in this lesson")


def _value(mapping, key):
    for key_node, value_node in mapping.value:
        if key_node.value == key:
            return value_node
    return None


def _node(root, loc):
    node = root
    for part in loc:
        node = node.value[part] if isinstance(part, int) else _value(node, part)
    return node


def _content_end(text, node):
    """Where the node's own text ends: a block collection ends with its last value,
    and a block scalar's end mark takes in the blank lines after it."""
    while isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and not node.flow_style and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(node, yaml.MappingNode) else last
    end = node.end_mark.index
    while end > 0 and text[end - 1] in " \t\r\n":
        end -= 1
    return end


def _line_of(text, index):
    return text.count("\n", 0, index) + 1


def _dash_column(text, item):
    """The column of the "- " that opens a block sequence's item."""
    index = item.start_mark.index - 1
    while index >= 0 and text[index] == " ":
        index -= 1
    return item.start_mark.column - (item.start_mark.index - index)


def _sequence_offset(question_node):
    """How far this file indents a block list's dashes under their key (2 when the question has no list)."""
    for key_node, value_node in question_node.value:
        if isinstance(value_node, yaml.SequenceNode) and not value_node.flow_style and value_node.value:
            return value_node.start_mark.column - key_node.start_mark.column
    return 2


def _file_uses_flow_samples(root):
    """Whether the lesson writes its samples as one-line {text, label} mappings."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            samples = _value(node, "samples")
            if isinstance(samples, yaml.SequenceNode) and samples.value:
                return isinstance(samples.value[-1], yaml.MappingNode) and bool(samples.value[-1].flow_style)
            stack.extend(value for _, value in reversed(node.value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
    return False


def _item_lines(quoted, label, dash_column, content_column, flow):
    dash = " " * dash_column + "-" + " " * (content_column - dash_column - 1)
    if flow:
        return [f"{dash}{{text: {quoted}, label: {label}}}"]
    return [f"{dash}text: {quoted}", f"{' ' * content_column}label: {label}"]


def _insert_lines(text, content_end, lines):
    """Insert whole lines after the line where `content_end` falls (after any comment
    ending that line); returns the text and the first inserted line's number."""
    newline = "\r\n" if "\r\n" in text else "\n"
    cut = text.find("\n", content_end)
    if cut == -1:  # the file ends without a line break
        return text + newline + newline.join(lines), _line_of(text, len(text)) + 1
    cut += 1
    return text[:cut] + "".join(line + newline for line in lines) + text[cut:], _line_of(text, cut)


def _insert_in_flow(text, samples_node, quoted, label):
    """A flow list (`samples: [...]`) gets the sample as its last entry, after the one there."""
    entry = f"{{text: {quoted}, label: {label}}}"
    if not samples_node.value:
        start, end = samples_node.start_mark.index, samples_node.end_mark.index
        return text[:start] + f"[{entry}]" + text[end:], samples_node.start_mark.line + 1
    end = samples_node.value[-1].end_mark.index
    return text[:end] + f", {entry}" + text[end:], samples_node.value[-1].end_mark.line + 1


def _check_edit(document, edited, path, loc, sample):
    """The edited text must parse to the old data with the sample appended, and nothing else."""
    expected = copy.deepcopy(document.data)
    question = _data_at(expected, loc)
    question["samples"] = [*(question.get("samples") or []), sample]
    if parse_yaml(edited, path).data != expected:
        raise SourceError(path, "adding the sample as text would change the rest of the file; add it by hand")


def _data_at(data, loc):
    for part in loc:
        data = data[part]
    return data


def _error(path, node, message):
    return SourceError(path, message, node.start_mark.line + 1, node.start_mark.column + 1)
