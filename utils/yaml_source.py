"""Safe YAML loading that remembers where every value came from.

Lesson authors need errors at the exact line, so a file is parsed once with
PyYAML's SafeLoader into its node tree (which carries line/column marks) and the
plain data is constructed from that same tree. No tag beyond safe YAML is ever
constructed.
"""

from pathlib import Path

import yaml

from pockettutor.utils.errors import SourceError

# Deeper nesting than this is never a lesson; refusing it keeps a hostile file
# from exhausting the stack while constructing.
MAX_DEPTH = 64
# libyaml's safe loader when PyYAML was built with it (ten times faster), else
# the pure-Python one; both keep line marks and construct safe YAML only.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
C_LOADER_MAX_NESTING = 1000
MAX_VALUES = 200_000
# A lesson is tens of kilobytes; refusing huge files keeps lint and learn fast on any input.
MAX_BYTES = 5 * 1024 * 1024


class YamlDocument:
    """A parsed YAML file: its data and the node tree that locates each value."""

    def __init__(self, path, data, root):
        self.path = Path(path)
        self.data = data
        self.root = root

    def position(self, loc):
        """(line, column), 1-based, of the value at `loc`, a tuple of keys and
        indexes; for a key that is missing, the position of its parent."""
        node = self.root
        if node is None:
            return 1, 1
        best = node.start_mark
        for part in loc:
            child = _child(node, part)
            if child is None:
                break
            key_node, node = child
            best = (key_node or node).start_mark
        return best.line + 1, best.column + 1

    def not_a_mapping(self):
        """Why the file cannot hold fields, or None when its top level is a mapping."""
        if isinstance(self.data, dict):
            return None
        found = "an empty file" if self.data is None else f"a {type(self.data).__name__}"
        return f"expected a mapping of fields, found {found}"

    def error(self, loc, message):
        line, column = self.position(loc)
        return SourceError(self.path, message, line, column)


def _child(node, part):
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == str(part):
                return key_node, value_node
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        if 0 <= part < len(node.value):
            return None, node.value[part]
    return None


def _shape_problem(root):
    """Why the node tree is unfit to construct, or None: too deep, too many
    values once aliases are expanded (a "billion laughs" file is 1 KB of text
    and 9**9 values), or an alias that contains itself. Aliased nodes are
    measured once, without recursion."""
    measured = {}  # id(node) -> (depth, expanded size)
    stack = [(root, False)]
    open_nodes = set()
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        children = []
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = node.value
        if not children_done:
            if key in measured:
                continue
            if key in open_nodes:
                return "an alias refers to a value that contains it"
            open_nodes.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in measured)
            continue
        open_nodes.discard(key)
        depth = 1 + max((measured[id(c)][0] for c in children if id(c) in measured), default=0)
        size = 1 + sum(measured[id(c)][1] for c in children if id(c) in measured)
        if depth > MAX_DEPTH:
            return f"nesting deeper than {MAX_DEPTH} levels"
        if size > MAX_VALUES:
            return f"more than {MAX_VALUES:,} values once aliases are expanded"
        measured[key] = (depth, size)
    return None


# Python refuses to turn longer digit strings into an int (CVE-2020-10735's limit).
MAX_INT_DIGITS = 4300
INT_TAG = "tag:yaml.org,2002:int"


def _content_problem(root):
    """(message, node) for the first key given twice in one mapping, which YAML
    would silently let the later one win, or the first integer too long to
    construct; None when there is none. Run after _shape_problem, so the tree
    is known to be small and free of cycles."""
    seen_nodes, stack = set(), [root]
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first_line = {}
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    if key_node.value in first_line:
                        return (
                            f"duplicate key '{key_node.value}' (first at line {first_line[key_node.value]})",
                            key_node,
                        )
                    first_line[key_node.value] = key_node.start_mark.line + 1
                stack.extend((value_node, key_node))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif node.tag == INT_TAG and sum(c.isdigit() for c in node.value) > MAX_INT_DIGITS:
            return f"a number of more than {MAX_INT_DIGITS:,} digits", node
    return None


def _reader_error(path, text, exc):
    """A character YAML refuses, at its line and column."""
    character = f"#x{exc.character:04x}" if isinstance(exc.character, int) else repr(exc.character)
    before = text[: exc.position]
    line, column = before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1
    return SourceError(path, f"invalid YAML: {exc.reason} ({character})", line, column)


def _may_nest_deeply(text):
    """A cheap upper bound on nesting: every flow bracket (quoted or not, so a
    quoted "]" cannot hide depth), plus the indentation and dashes that open
    block collections. libyaml composes recursively in C and would overflow the
    C stack on tens of thousands of levels, where the pure-Python loader raises
    a RecursionError that becomes an error line."""
    flow = text.count("[") + text.count("{")
    block = max((len(line) - len(line.lstrip(" -?:")) for line in text.splitlines()), default=0)
    return flow + block > C_LOADER_MAX_NESTING


def parse_yaml(text, path):
    """Parse one YAML document from `text`; errors name `path` and the line."""
    try:
        # The reader checks characters as soon as the loader is built.
        loader = SAFE_LOADER(text) if not _may_nest_deeply(text) else yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:
        raise _reader_error(path, text, exc) from None
    try:
        root = loader.get_single_node()
        problem = _shape_problem(root) if root is not None else None
        if problem:
            mark = root.start_mark
            raise SourceError(path, problem, mark.line + 1, mark.column + 1)
        found = _content_problem(root) if root is not None else None
        if found:
            problem, node = found
            raise SourceError(path, problem, node.start_mark.line + 1, node.start_mark.column + 1)
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
            # An unclosed bracket is found at the end; say where it was opened.
            problem += f" ({exc.context} started at line {exc.context_mark.line + 1})"
        if mark is None:
            raise SourceError(path, f"invalid YAML: {problem}") from None
        raise SourceError(path, f"invalid YAML: {problem}", mark.line + 1, mark.column + 1) from None
    except yaml.reader.ReaderError as exc:
        raise _reader_error(path, text, exc) from None
    except yaml.YAMLError as exc:
        raise SourceError(path, "invalid YAML: " + " ".join(str(exc).split())) from None
    except RecursionError:
        raise SourceError(path, "invalid YAML: nesting too deep") from None
    finally:
        loader.dispose()
    return YamlDocument(path, data, root)


def read_source(path):
    """The bytes of a YAML file; one that is not a regular file or is larger than
    MAX_BYTES is refused unread. Every failure is a one-line SourceError."""
    path = Path(path)
    try:
        if path.exists() and not path.is_file() and not path.is_dir():
            # A FIFO would block and a device such as /dev/zero never ends: never open them.
            raise SourceError(path, "not a regular file")
        if path.is_file() and path.stat().st_size > MAX_BYTES:
            raise SourceError(path, f"larger than {MAX_BYTES // (1024 * 1024)} MB; not a lesson file")
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)  # bounded even if the file grows while being read
        if len(raw) > MAX_BYTES:
            raise SourceError(path, f"larger than {MAX_BYTES // (1024 * 1024)} MB; not a lesson file")
    except IsADirectoryError:
        raise SourceError(path, "is a directory, not a YAML file") from None
    except FileNotFoundError:
        raise SourceError(path, "no such file") from None
    except OSError as exc:
        raise SourceError(path, f"cannot read: {exc.strerror or exc}") from None
    return raw


def parse_source(raw, path):
    """Parse the bytes `read_source` returned; errors name `path` and the line."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(path, f"not UTF-8 text (bad byte at offset {exc.start})") from None
    return parse_yaml(text, path)


def load_yaml(path):
    """Read and parse a YAML file; every failure is a one-line SourceError."""
    return parse_source(read_source(path), Path(path))
