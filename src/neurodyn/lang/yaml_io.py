"""Reading template files and resolving template names.

Names are resolved in this order:

1. a template defined in the same file as the reference;
2. ``model_templates.<a>.<b>.<Name>``: neurodyn's bundled library, file ``library/<a>/<b>.yaml`` (or, when
   :func:`set_model_templates_root` / ``NEURODYN_MODEL_TEMPLATES`` points elsewhere, that directory — e.g.
   PyRates's own ``model_templates`` package, whose files neurodyn reads unchanged);
3. a file path: ``path/to/file.yaml/Name``, ``path/to/file/Name`` or ``path/to/file.Name`` (relative to the
   referring file's directory, then to the working directory), or a dotted ``pkg.file.Name`` relative to them;
4. a short name from the library's ``index.yaml`` (``JRC``, ``qif``, ...).

Examples
--------
>>> path, name = split_reference("model_templates.neural_mass_models.qif.qif")
>>> name
'qif'
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from neurodyn.errors import TemplateError, TemplateNotFoundError, close_matches

__all__ = ["LIBRARY_ROOT", "TemplateSource", "load_yaml_file", "resolve", "set_model_templates_root",
           "split_reference", "library_index", "BASE_KINDS", "template_kind", "file_reference"]

LIBRARY_ROOT = Path(__file__).resolve().parent.parent / "library"
BASE_KINDS = ("OperatorTemplate", "NodeTemplate", "EdgeTemplate", "CircuitTemplate")
_model_templates_root: Path | None = None


def set_model_templates_root(path: str | os.PathLike | None) -> None:
    """Resolve ``model_templates.*`` names below ``path`` instead of the bundled library (``None`` resets).

    Use it to read PyRates's own template package unchanged::

        import model_templates, os
        set_model_templates_root(os.path.dirname(model_templates.__file__))
    """
    global _model_templates_root
    _model_templates_root = None if path is None else Path(path).resolve()
    if _model_templates_root is not None and not _model_templates_root.is_dir():
        raise TemplateNotFoundError(f"model_templates root {str(path)!r} is not a directory")


def model_templates_root() -> Path:
    if _model_templates_root is not None:
        return _model_templates_root
    from neurodyn.config import get_option
    root = get_option("model_templates")
    return root if root is not None else LIBRARY_ROOT


#: libyaml's parser where PyYAML was built with it (10x faster than the pure-Python one; the same documents)
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_SAFE_LOADER):
    """SafeLoader that also reads complex literals like ``0.0+1.0j`` as Python complex numbers and refuses
    duplicate keys."""


def _construct_str(loader, node):
    value = loader.construct_scalar(node)
    # a plain (unquoted) scalar: style None from PyYAML's parser, '' from libyaml's
    if isinstance(value, str) and value.strip().endswith("j") and not node.style:
        try:
            return complex(value.replace(" ", ""))
        except ValueError:
            return value
    return value


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A mapping repeats a key (YAML itself would keep the last value and drop the others without a word)."""


def _construct_mapping(loader, node, deep=False):
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            first = seen.get(key)
        except TypeError:           # unhashable key: let PyYAML report it
            continue
        if first is not None:
            raise DuplicateKeyError(
                None, None, f"duplicate key {key!r} (first at line {first.line + 1}); YAML would keep only the last "
                            f"value: remove or rename one of them", key_node.start_mark)
        seen[key] = key_node.start_mark
    return _SAFE_LOADER.construct_mapping(loader, node, deep=deep)


_LineLoader.add_constructor("tag:yaml.org,2002:str", _construct_str)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class TemplateSource:
    """The raw contents of one template file: ``{name: definition}`` plus the line of each name.

    Attributes
    ----------
    path : Path
    definitions : dict
    lines : dict
        1-based line number of each top-level template name.
    """

    def __init__(self, path: Path, definitions: dict, lines: dict):
        self.path, self.definitions, self.lines = path, definitions, lines

    def where(self, name: str) -> str:
        line = self.lines.get(name)
        return f"{self.path}:{line}" if line else str(self.path)

    def __repr__(self) -> str:
        return f"<TemplateSource {self.path} ({len(self.definitions)} templates)>"


@lru_cache(maxsize=256)
def _load(path: str, mtime: float) -> TemplateSource:
    text = Path(path).read_text()
    try:
        loader = _LineLoader(text)                 # one parse: the node tree (for line numbers), then the data
        try:
            node = loader.get_single_node()
            data = None if node is None else loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        loc = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else path
        what = "" if isinstance(exc, DuplicateKeyError) else "YAML syntax error: "
        raise TemplateError(f"{loc}: {what}{getattr(exc, 'problem', exc)}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise TemplateError(f"{path}: a template file must be a mapping of template names to definitions")
    lines = {}
    if isinstance(node, yaml.MappingNode):
        for key, _ in node.value:
            lines[str(key.value)] = key.start_mark.line + 1
    data = {str(k): v for k, v in data.items() if k != "aliases"}
    return TemplateSource(Path(path), data, lines)


def load_yaml_file(path: str | os.PathLike) -> TemplateSource:
    """Read (and cache, until the file changes) one template file."""
    p = Path(path).resolve()
    if not p.is_file():
        raise TemplateNotFoundError(f"template file {str(path)!r} does not exist")
    return _load(str(p), p.stat().st_mtime)


def split_reference(name: str) -> tuple[str, str]:
    """Split ``a.b.c.Name`` or ``a/b/c/Name`` into the file part and the template name."""
    if "/" in name or os.sep in name:
        head, _, tail = name.rpartition("/")
        return head, tail
    head, _, tail = name.rpartition(".")
    return head, tail


def _file_candidates(head: str, base_dirs: list[Path]) -> list[Path]:
    cands: list[Path] = []
    if not head:
        return cands
    if head.startswith("model_templates.") or head == "model_templates":
        rel = head.split(".")[1:]
        root = model_templates_root()
        cands.append(root.joinpath(*rel).with_suffix(".yaml") if rel else root)
        cands.append(root.joinpath(*rel).with_suffix(".yml") if rel else root)
        return cands
    variants = [head]
    if "/" not in head and os.sep not in head and not head.startswith("."):
        variants.append(head.replace(".", "/"))
    for d in base_dirs:
        for v in variants:
            if v in (".", ".."):
                continue
            p = Path(v) if os.path.isabs(v) else d / v
            if not p.name:
                continue
            if p.suffix in (".yaml", ".yml"):
                cands.append(p)
            else:
                cands += [p.with_name(p.name + ".yaml"), p.with_name(p.name + ".yml")]
    return cands


@lru_cache(maxsize=1)
def _library_index_cached(mtime: float) -> dict:
    path = LIBRARY_ROOT / "index.yaml"
    data = yaml.safe_load(path.read_text()) or {}
    return {str(k): v for k, v in data.items()}


def library_index() -> dict:
    """Short name -> {path, description, reference} of the bundled library (empty if absent)."""
    path = LIBRARY_ROOT / "index.yaml"
    if not path.is_file():
        return {}
    return _library_index_cached(path.stat().st_mtime)


def resolve(name: str, context: TemplateSource | None = None) -> tuple[TemplateSource, str, Any]:
    """Find the definition of template ``name``.

    Parameters
    ----------
    name : str
        Template reference as written in a file or passed by the user.
    context : TemplateSource, optional
        The file the reference appears in (same-file names and relative paths are tried first).

    Returns
    -------
    (source, template_name, definition)

    Raises
    ------
    TemplateNotFoundError
        Listing the places tried and the closest names known.
    """
    name = str(name).strip()
    if context is not None and name in context.definitions:
        return context, name, context.definitions[name]
    head, tail = split_reference(name)
    # PyRates also accepts file.Name with a path: try both split styles
    heads = [(head, tail)]
    if "/" in name and "." in tail:
        h2, _, t2 = name.rpartition(".")
        heads.append((h2, t2))
    base_dirs = ([context.path.parent] if context is not None else []) + [Path.cwd()]
    tried = []
    for h, t in heads:
        for cand in _file_candidates(h, base_dirs):
            tried.append(str(cand))
            if cand.is_file():
                src = load_yaml_file(cand)
                if t in src.definitions:
                    return src, t, src.definitions[t]
                raise TemplateNotFoundError(
                    f"template {t!r} is not defined in {cand}; {close_matches(t, src.definitions)}")
    index = library_index()
    if name in index:
        return resolve(index[name]["path"], None)
    known = list(index) + (list(context.definitions) if context is not None else [])
    where = f" (referenced in {context.path})" if context is not None else ""
    looked = f" Looked for files: {', '.join(tried[:6])}." if tried else ""
    hint = close_matches(name, known)
    if tail in index and name != tail:
        hint = (f"The bundled template is written {tail!r}, without a path; a template in your own file is "
                f"written 'path/to/file.yaml' (when the file holds one circuit) or 'path/to/file.yaml/Name'.")
    raise TemplateNotFoundError(f"template {name!r} not found{where}.{looked} {hint}")


def template_kind(source: TemplateSource, name: str, seen: tuple = ()) -> str:
    """The base kind ('OperatorTemplate', 'NodeTemplate', 'EdgeTemplate' or 'CircuitTemplate') of template
    ``name`` of ``source``, following its ``base:`` chain without building anything."""
    defn = source.definitions.get(name)
    base = defn.get("base") if isinstance(defn, dict) else None
    if base is None:
        raise TemplateError(f"{source.where(name)}: template {name!r} has no 'base:'; use one of {BASE_KINDS} or "
                            f"the name of a template to inherit from")
    if base in BASE_KINDS:
        return str(base)
    key = f"{source.path}:{name}"
    if key in seen:
        raise TemplateError(f"{source.where(name)}: template {name!r} inherits from itself")
    parent_src, parent, _ = resolve(str(base), source)
    return template_kind(parent_src, parent, seen + (key,))


def file_reference(name: str) -> str | None:
    """``name`` as ``file/Template`` when it names a YAML file rather than a template in it, else None.

    A file holding one circuit stands for that circuit; with no circuit, one node stands for the node. When
    the choice is not clear the error lists what to write instead.

    Raises
    ------
    TemplateNotFoundError
        If the file holds several circuits (or no circuit and several nodes, or neither).
    """
    p = Path(os.path.expanduser(str(name)))
    if p.suffix not in (".yaml", ".yml"):
        if not (str(name).startswith((".", "/", "~")) or os.sep in str(name)):
            return None
        cands = [c for c in (p.with_name(p.name + ".yaml"), p.with_name(p.name + ".yml")) if c.is_file()]
        if not cands or p.exists():
            return None
        p = cands[0]
    if not p.is_file():
        return None
    src = load_yaml_file(p)
    kinds = {n: template_kind(src, n) for n in src.definitions}
    circuits = [n for n, k in kinds.items() if k == "CircuitTemplate"]
    nodes = [n for n, k in kinds.items() if k == "NodeTemplate"]
    pick = circuits if circuits else nodes
    if len(pick) == 1:
        return f"{p}/{pick[0]}"
    if not pick:
        found = ", ".join(f"{n} ({k})" for n, k in kinds.items()) or "nothing"
        raise TemplateNotFoundError(
            f"{p} defines no circuit or node to run (it defines {found}). Add a node, e.g.\n"
            f"  my_pop:\n    base: NodeTemplate\n    operators: [my_op]\n"
            f"(see docs/core.md, 'A model from scratch'), then run '{p}' or '{p}/my_pop'.")
    what = "circuits" if circuits else "nodes"
    raise TemplateNotFoundError(f"{p} defines several {what} ({', '.join(pick)}); name one: "
                                + " or ".join(repr(f"{p}/{n}") for n in pick))
