"""The result types of continuation: the points table, special points, the repr and the bifurcation plot."""
import matplotlib

matplotlib.use("Agg")
import pytest  # noqa: E402

from neurodyn.analysis import SymbolicSystem, continuation, find_fixed_points, fold_curve  # noqa: E402

ETA, R = "p/qif_op/eta", "p/qif_op/r"


@pytest.fixture(scope="module")
def branch():
    s = SymbolicSystem.from_circuit("qif")
    x0 = find_fixed_points(s, params={ETA: -10.0}, bounds={R: (1e-6, 5.0)})[0]
    return continuation(s, ETA, x0, -10.0, 0.0)


def test_points_table_and_special_points(branch):
    pts = branch.points
    for col in (ETA, R, "p/qif_op/v", "n_unstable", "stable", "max_re", "stability", "special"):
        assert col in pts.columns
    assert len(pts) == len(branch.eigenvalues) == len(branch)
    # special rows sit in the table in order along the branch, at their index
    for p in branch.special_points:
        assert pts["special"].iloc[p.index] == p.kind
        assert pts[ETA].iloc[p.index] == p[ETA] and pts[R].iloc[p.index] == p[R]
        assert pts["stability"].iloc[p.index] == "non-hyperbolic"
    # stability changes exactly at the folds: stable, saddle (one unstable eigenvalue), stable
    i1, i2 = (p.index for p in branch.special_points)
    assert pts["n_unstable"].iloc[:i1].eq(0).all() and pts["n_unstable"].iloc[i1 + 1:i2].eq(1).all()
    assert pts["n_unstable"].iloc[i2 + 1:].eq(0).all()
    bif = branch.bifurcations
    assert bif["type"].tolist() == ["fold", "fold"] and (bif["omega"] == 0).all()
    assert bif is branch.bifurcations                      # built once: added columns stay
    assert branch.stop.complete and branch.stop.values[ETA] == 0.0


def test_repr_tells_what_was_found(branch):
    text = repr(branch)
    assert text.startswith("<Branch of equilibria in 'p/qif_op/eta': ")
    assert "fold (LP) at eta = -3.13613" in text and "fold (LP) at eta = -5.74353" in text
    assert "stop (end): reached p/qif_op/eta = 0 (the end of the interval)." in text
    assert repr(branch.special_points[0]).startswith("<SpecialPoint fold (LP) at eta = -3.13613 [a = ")


def test_bifurcation_diagram_styles_and_labels(branch):
    ax = branch.plot(y=R)
    styles = {line.get_linestyle() for line in ax.get_lines() if line.get_marker() in ("None", "", None)}
    assert styles == {"-", "--"}                            # stable solid, unstable dashed
    assert [t.get_text() for t in ax.texts] == ["LP", "LP"]
    assert ax.get_xlabel() == ETA and ax.get_ylabel() == R
    curve = fold_curve(branch.special("fold")[0], "p/qif_op/Delta", bounds={"p/qif_op/Delta": (0.2, 2.0)})
    ax = curve.plot()
    assert ax.get_xlabel() == ETA and ax.get_ylabel() == "p/qif_op/Delta"
    with pytest.raises(Exception, match="no column 'nope'"):
        branch.plot(y="nope")
    import matplotlib.pyplot as plt
    plt.close("all")
