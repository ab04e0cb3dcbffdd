"""Documentation that is tested: every fenced ``python`` block of README.md and docs/*.md runs (Sybil).

- Blocks of one file run in order in one namespace (a block may use the imports of the blocks above it), in a
  temporary working directory of their own, so files a block writes never land in the checkout. Beside that
  directory, ``../shared/data`` is the reference data (``$NEURODYN_DATA``, else ``../shared/data`` next to the
  checkout), so a block reads the data by the path a user in the checkout would use.
- A ``yaml file=NAME`` block is written to ``NAME`` in that directory, so a YAML model shown in the docs is the
  file the next Python block loads.
- ``<!-- skip: next (reason) -->`` before a block skips it with the reason (reported by pytest -ra); a skip
  without a reason is an error. ``<!-- skip: start (reason) -->`` ... ``<!-- skip: end -->`` skip a stretch.
  Sybil's own form ``<!-- skip: next "reason" -->`` works too. ``<!-- skip: next if-missing ../shared/data/aal90
  (reason) -->`` skips the block only when that path does not exist (reference data that is not distributed).

The command lines of the README (``neurodyn ...``) are run by tests/test_readme_commands.py.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from sybil import Region, Sybil
from sybil.evaluators.skip import Skipper
from sybil.parsers.markdown import PythonCodeBlockParser
from sybil.parsers.markdown.lexers import DirectiveInHTMLCommentLexer, RawFencedCodeBlockLexer

ROOT = Path(__file__).resolve().parent
_SKIP = re.compile(r"(start|next|end)(?:\s+if-missing\s+(?P<path>\S+))?"
                   r"(?:\s+\((?P<reason>.+)\)|\s+(?P<quoted>\".*\"|'.*'))?\s*", re.S)


def data_dir() -> Path:
    """The reference data (aal90/, tvb998/): ``$NEURODYN_DATA``, else ``../shared/data`` next to the checkout."""
    env = os.environ.get("NEURODYN_DATA", "").strip()
    return Path(env) if env else ROOT.parent / "shared" / "data"


def _exists_for_docs(path: str) -> bool:
    """Whether ``path``, as a block in the docs' working directory sees it, exists."""
    p = Path(path)
    if p.parts[:3] == ("..", "shared", "data"):
        return data_dir().joinpath(*p.parts[3:]).exists()
    return (ROOT / p).exists()


class ReasonedSkipParser:
    """``<!-- skip: next (why) -->``: Sybil's skip directive with the reason written in parentheses."""

    def __init__(self) -> None:
        self.lexer = DirectiveInHTMLCommentLexer("skip")
        self.skipper = Skipper("skip")

    def __call__(self, document):
        for lexed in self.lexer(document):
            args = (lexed.lexemes["arguments"] or "").strip()
            m = _SKIP.fullmatch(args)
            if m is None:
                raise ValueError(f"{document.path}: malformed skip directive {args!r}; write "
                                 f"<!-- skip: next (the reason) -->")
            action, reason, quoted = m.group(1), m.group("reason"), m.group("quoted")
            if action != "end" and not (reason or quoted):
                raise ValueError(f"{document.path}: 'skip: {action}' needs its reason: "
                                 f"<!-- skip: {action} (why this block cannot run in the test suite) -->")
            if m.group("path"):
                if action != "next":
                    raise ValueError(f"{document.path}: if-missing goes with 'skip: next' only")
                if _exists_for_docs(m.group("path")):
                    continue                    # the data is there: the block runs
                reason = f"{reason.strip() if reason else quoted}: {m.group('path')} not found"
            yield Region(lexed.start, lexed.end, (action, repr(reason.strip()) if reason else quoted), self.skipper)


class YamlFileParser:
    """```` ```yaml file=my_model.yaml ```` blocks: written to that file in the document's working directory."""

    def __init__(self) -> None:
        self.lexer = RawFencedCodeBlockLexer(
            info_pattern=re.compile(r"yaml[ \t]+file=(?P<file>[\w.\-/]+)[ \t]*$\n", re.MULTILINE))

    def __call__(self, document):
        for region in self.lexer(document):
            region.parsed = (region.lexemes["file"], str(region.lexemes["source"]))
            region.evaluator = self.evaluate
            yield region

    @staticmethod
    def evaluate(example) -> None:
        name, text = example.parsed
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        Path(name).write_text(text)


def _setup(namespace: dict) -> None:
    namespace["__cwd__"] = os.getcwd()
    top = Path(tempfile.mkdtemp(prefix="neurodyn-docs-"))
    namespace["__workdir__"] = str(top)
    (top / "work").mkdir()
    if data_dir().is_dir():                       # ../shared/data as seen from the checkout
        (top / "shared").mkdir()
        (top / "shared" / "data").symlink_to(data_dir().resolve(), target_is_directory=True)
    os.chdir(top / "work")


def _teardown(namespace: dict) -> None:
    os.chdir(namespace["__cwd__"])
    top = Path(namespace["__workdir__"])
    if (top / "shared" / "data").is_symlink():
        (top / "shared" / "data").unlink()       # never follow the link into the data when deleting
    shutil.rmtree(top, ignore_errors=True)
    import matplotlib.pyplot as plt
    plt.close("all")


_collect_docs = Sybil(parsers=[ReasonedSkipParser(), YamlFileParser(), PythonCodeBlockParser()],
                      patterns=["*.md"], setup=_setup, teardown=_teardown).pytest()


def pytest_collect_file(file_path, parent):
    """README.md and docs/*.md of this checkout (not the other Markdown files below src/ or benchmarks/)."""
    try:
        rel = Path(file_path).resolve().relative_to(ROOT)
    except ValueError:
        return None
    if rel == Path("README.md") or (rel.parent == Path("docs") and rel.suffix == ".md"):
        return _collect_docs(file_path, parent)
    return None
