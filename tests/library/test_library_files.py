"""Static checks of the bundled YAML library: it parses, the index resolves, names match PyRates.

Users run PyRates code unchanged apart from the import, so wherever PyRates ships a template of the same
dotted name, ours must expose the same node names, operator names, variable names and edge endpoints.
The comparison reads PyRates's installed ``model_templates`` files (test-only peer) and skips with the
reason printed when PyRates is not installed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

LIBRARY = Path(__file__).resolve().parents[2] / "src" / "neurodyn" / "library"
KINDS = ("OperatorTemplate", "NodeTemplate", "EdgeTemplate", "CircuitTemplate")


def library_files():
    return sorted(p for p in LIBRARY.rglob("*.yaml") if p.name != "index.yaml")


def load(path):
    return yaml.safe_load(path.read_text()) or {}


def dotted(path: Path, name: str) -> str:
    return "model_templates." + ".".join(path.relative_to(LIBRARY).with_suffix("").parts) + "." + name


def all_templates():
    out = {}
    for f in library_files():
        for name, body in load(f).items():
            if isinstance(body, dict) and "base" in body:
                out[dotted(f, name)] = (f, body)
    return out


def resolve(ref: str, here: Path):
    """Dotted name of a reference inside a file: full dotted names stay, bare names are same-file."""
    return ref if ref.startswith("model_templates.") else dotted(here, ref)


def kind_of(name, templates, seen=()):
    f, body = templates[name]
    base = body["base"]
    if base in KINDS:
        return base
    assert name not in seen, f"inheritance cycle at {name}"
    return kind_of(resolve(base, f), templates, seen + (name,))


def test_every_file_has_a_header_comment_and_parses():
    files = library_files()
    assert len(files) >= 8
    for f in files:
        text = f.read_text()
        assert text.startswith("%YAML 1.2\n---\n#"), f"{f.name}: header comment (source, units) missing"
        assert re.search(r"[Uu]nits", text), f"{f.name}: header must state the units"
        assert isinstance(load(f), dict)


def test_all_references_resolve_to_templates_of_the_right_kind():
    templates = all_templates()
    for name, (f, body) in templates.items():
        kind = kind_of(name, templates)          # follows base: chains, fails on a dangling base
        if kind == "NodeTemplate" and "operators" in body:
            for op in body["operators"]:
                assert kind_of(resolve(op, f), templates) == "OperatorTemplate", (name, op)
        if kind == "CircuitTemplate":
            for node, tpl in (body.get("nodes") or {}).items():
                assert kind_of(resolve(tpl, f), templates) == "NodeTemplate", (name, node)
            for sub, tpl in (body.get("circuits") or {}).items():
                assert kind_of(resolve(tpl, f), templates) == "CircuitTemplate", (name, sub)
            for edge in body.get("edges") or []:
                assert len(edge) == 4, (name, edge)
                if edge[2] is not None:
                    assert kind_of(resolve(edge[2], f), templates) == "EdgeTemplate", (name, edge)


def operator_variables(name, templates):
    """Variables of an operator including inherited ones (child entries override the base)."""
    f, body = templates[name]
    variables = {}
    if body["base"] not in KINDS:
        variables.update(operator_variables(resolve(body["base"], f), templates))
    variables.update(body.get("variables") or {})
    return variables


def test_edge_endpoints_exist():
    """Each edge's source and target are node/operator/variable paths that exist in the circuit."""
    templates = all_templates()
    for name, (f, body) in templates.items():
        if kind_of(name, templates) != "CircuitTemplate" or body.get("circuits"):
            continue
        nodes = {n: resolve(t, f) for n, t in (body.get("nodes") or {}).items()}
        for edge in body.get("edges") or []:
            for path in edge[:2]:
                node, op, var = path.split("/")
                nf, nbody = templates[nodes[node]]
                ops = {o.split(".")[-1]: resolve(o, nf) for o in nbody["operators"]}
                assert op in ops, f"{name}: {path}: no operator {op} in node {node}"
                assert var in operator_variables(ops[op], templates), f"{name}: {path}: no variable {var}"


def test_index_entries_resolve_and_cover_every_circuit():
    index = load(LIBRARY / "index.yaml")
    templates = all_templates()
    for short, entry in index.items():
        assert set(entry) == {"path", "time_unit", "description", "reference"}, short
        assert entry["path"] in templates, f"index entry {short} -> {entry['path']} does not exist"
        assert entry["path"].endswith("." + short)
    circuits = {n for n in templates if kind_of(n, templates) == "CircuitTemplate"}
    indexed = {e["path"] for e in index.values()}
    assert circuits <= indexed, f"circuits missing from index.yaml: {sorted(circuits - indexed)}"


def test_qif_syn_is_the_devalle_form_not_the_seed_form():
    """REFERENCE section 3: no -r^2 in dr/dt, v^2 present, no -v leak."""
    body = load(LIBRARY / "neural_mass_models" / "qif.yaml")["qif_syn_op"]
    eqs = [e.replace(" ", "") for e in body["equations"]]
    r_eq = next(e for e in eqs if e.startswith("d/dt*r="))
    v_eq = next(e for e in eqs if e.startswith("d/dt*v="))
    assert "r^2" not in r_eq and "r**2" not in r_eq
    assert "v^2" in v_eq
    assert "-v" not in v_eq.split("=", 1)[1].replace("-v_", "")


# ------------------------------------------------------------------------------------------------------
# names shared with PyRates
# ------------------------------------------------------------------------------------------------------

def pyrates_library():
    pytest.importorskip("pyrates", reason="PyRates (test peer) not installed: cannot compare template names")
    import model_templates
    return Path(model_templates.__path__[0])


SHARED = [
    ("base_templates.yaml", ["li_op", "sigmoid_op", "tanh_op", "monoexp_op", "biexp_op", "alpha_op",
                             "li_node", "sigmoid_node", "tanh_node", "nonlinear_li_node", "sigmoid_edge"]),
    ("neural_mass_models/jansenrit.yaml", ["rpo_e", "rpo_i", "rpo_e_in", "pro", "jrc_op", "PC", "IN",
                                           "jrc_pop", "JRC", "JRC2", "JRC_2delaycoupled"]),
    ("neural_mass_models/theta.yaml", ["theta_op", "theta_pop", "kmo_theta"]),
    ("neural_mass_models/qif.yaml", ["qif_op", "qif_sfa_op", "qif_pop", "qif_sfa_pop", "qif", "qif_sfa"]),
    ("neural_mass_models/wilsoncowan.yaml", ["se_op", "si_op", "rate_op", "exc_pop", "inh_pop", "WC"]),
    ("oscillators/kuramoto.yaml", ["phase_op", "coupling_op", "kmo_op", "phase_pop", "kmo_pop", "sin_edge",
                                   "kmo", "kmo_2coupled", "kmo_mf"]),
    ("oscillators/stuartlandau.yaml", ["sl_op", "sl_pop", "sl"]),
]


@pytest.mark.peer
@pytest.mark.parametrize("filename, names", SHARED, ids=[s[0] for s in SHARED])
def test_names_match_pyrates(filename, names):
    theirs_all = load(pyrates_library() / filename)
    ours_all = load(LIBRARY / filename)
    for name in names:
        assert name in theirs_all, f"test list error: PyRates has no {name} in {filename}"
        assert name in ours_all, f"{filename}: PyRates template {name} missing from our library"
        ours, theirs = ours_all[name], theirs_all[name]
        assert ours["base"].split(".")[-1] == theirs["base"].split(".")[-1], name
        # ours may re-declare an inherited variable only to give it a unit ({default: ..., unit: ...})
        extra = set(ours.get("variables") or {}) - set(theirs.get("variables") or {})
        unit_only = {v for v in extra if isinstance(ours["variables"][v], dict) and "unit" in ours["variables"][v]
                     and ours["base"] not in ("OperatorTemplate", "NodeTemplate", "CircuitTemplate")}
        assert set(ours.get("variables") or {}) - unit_only == set(theirs.get("variables") or {}), name
        assert list(ours.get("operators") or []) == list(theirs.get("operators") or []), name
        assert dict(ours.get("nodes") or {}) == dict(theirs.get("nodes") or {}), name
        assert dict(ours.get("circuits") or {}) == dict(theirs.get("circuits") or {}), name
        ours_edges = sorted((e[0], e[1], e[2], e[3].get("weight")) for e in ours.get("edges") or [])
        theirs_edges = sorted((e[0], e[1], e[2], e[3].get("weight")) for e in theirs.get("edges") or [])
        assert ours_edges == theirs_edges, name
