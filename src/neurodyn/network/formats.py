"""Readers and writers of connectome file formats (the :class:`~neurodyn.network.connectome.Connectome`
data class is apart from them).

Formats read by :func:`load_connectome`
---------------------------------------
* TVB zip archives (``weights.txt``, ``tract_lengths.txt``, ``centres.txt`` with labels, optional
  ``areas.txt``, ``cortical.txt``, ``hemispheres.txt``; members may sit in a sub-folder and may be
  ``.bz2``/``.gz`` compressed) -- :func:`read_tvb_zip`;
* the small TVB connectomes by name (``"tvb76"``, ``"connectivity_76"``, ``76`` ...) from the optional
  ``tvb-data`` package -- :func:`read_tvb_data`;
* neurolib ``.mat`` files (``Cmat``, ``Dmat``) -- :func:`read_mat`;
* plain matrices ``.npy``/``.csv``/``.txt`` -- :func:`read_matrices`;
* ``i j value`` triplet files with a size header (``sc2017.dat`` of the AAL90 data, 0-based) --
  :func:`read_triplets`; the AAL region table ``aal.dat`` -- :func:`read_aal_table`;
* ``.npz`` (our own :func:`write_connectome` format, or a single-matrix archive such as
  ``NormalizedMatrix.npz``) -- :func:`read_npz`.

Each reader is also a ``Connectome.from_*`` class method.

Examples
--------
>>> import numpy as np, tempfile, os
>>> p = os.path.join(tempfile.mkdtemp(), "w.npy"); np.save(p, np.array([[0., 1.], [1., 0.]]))
>>> load_connectome(p).n_regions
2
"""
from __future__ import annotations

import bz2
import gzip
import importlib.util
import io
import os
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from neurodyn.errors import ConnectomeError, close_matches
from neurodyn.network.connectome import TVB_DATA_CONNECTOMES, Connectome, _TVB_EXTRA_HINT

__all__ = ["load_connectome", "read_aal_table", "read_tvb_zip", "read_tvb_data", "read_mat", "read_matrices",
           "read_triplets", "read_npz", "read_aal90", "write_connectome"]


def write_connectome(connectome: Connectome, path: str | os.PathLike) -> Path:
    """Write to ``.npz`` (every field) or ``.zip`` (TVB layout). Returns the path.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> c = Connectome(np.array([[0., 1.], [2., 0.]]), labels=["a", "b"])
    >>> p = c.save(os.path.join(tempfile.mkdtemp(), "c.npz"))
    >>> np.array_equal(load_connectome(p).weights, c.weights)
    True
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npz":
        arrays: dict[str, Any] = {"weights": connectome.weights, "labels": np.array(connectome.labels, dtype=str),
                                  "name": np.array(connectome.name), "allow_negative": np.array(connectome.allow_negative)}
        for k in ("tract_lengths", "centres", "areas", "cortical", "hemispheres"):
            v = getattr(connectome, k)
            if v is not None:
                arrays[k] = v
        np.savez(path, **arrays)
    elif suffix == ".zip":
        def txt(a, fmt="%.18e"):
            buf = io.StringIO()
            np.savetxt(buf, a, fmt=fmt)
            return buf.getvalue()

        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr("weights.txt", txt(connectome.weights))
            tl = connectome.tract_lengths if connectome.tract_lengths is not None else np.zeros_like(connectome.weights)
            z.writestr("tract_lengths.txt", txt(tl))
            centres = connectome.centres if connectome.centres is not None else np.zeros((connectome.n_regions, 3))
            for lab in connectome.labels:
                if re.search(r"\s", lab):
                    raise ConnectomeError(f"Connectome.save(.zip): label {lab!r} contains whitespace, which "
                                          "the TVB centres.txt format cannot hold; save as .npz instead.")
            z.writestr("centres.txt", "".join(
                f"{lab} {x!r} {y!r} {zz!r}\n" for lab, (x, y, zz) in zip(connectome.labels, centres.tolist())))
            if connectome.areas is not None:
                z.writestr("areas.txt", txt(connectome.areas))
            if connectome.cortical is not None:
                z.writestr("cortical.txt", txt(connectome.cortical.astype(int), "%d"))
            if connectome.hemispheres is not None:
                z.writestr("hemispheres.txt", txt(connectome.hemispheres.astype(int), "%d"))
    else:
        raise ConnectomeError(f"Connectome.save: unsupported extension {suffix!r} in {path}; use .npz or .zip.")
    return path


def read_tvb_zip(path: str | os.PathLike, **kwargs) -> "Connectome":
    """Read a TVB connectivity zip (members may be in a sub-folder and ``.bz2``/``.gz`` compressed).

    ``centres.txt`` lines are ``label x y z`` (extra columns ignored). Missing ``tract_lengths.txt``
    (or an empty one) gives ``tract_lengths=None``. ``kwargs`` override fields (e.g. ``name``).
    """
    path = Path(path)
    if not path.is_file():
        raise ConnectomeError(f"Connectome.from_tvb_zip: no such file {path}.")
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ConnectomeError(f"Connectome.from_tvb_zip: {path} is not a zip archive.") from None
    with zf:
        members: dict[str, str] = {}
        for info in zf.infolist():
            if info.is_dir():
                continue
            base = info.filename.rsplit("/", 1)[-1]
            stem = re.sub(r"\.(txt)(\.bz2|\.gz)?$", "", base)
            if stem != base:
                members.setdefault(stem, info.filename)

        def read(stem: str) -> str | None:
            member = members.get(stem)
            if member is None:
                return None
            raw = zf.read(member)
            if member.endswith(".bz2"):
                raw = bz2.decompress(raw)
            elif member.endswith(".gz"):
                raw = gzip.decompress(raw)
            return raw.decode("utf-8", errors="replace")

        wtxt = read("weights")
        if wtxt is None:
            raise ConnectomeError(
                f"Connectome.from_tvb_zip: {path} has no weights.txt (members: {sorted(members)}); "
                "a TVB connectivity zip needs weights.txt, tract_lengths.txt and centres.txt."
            )
        where = f"{path.name}:weights.txt"
        weights = _loadtxt(wtxt, where)
        tltxt = read("tract_lengths")
        tl = None
        if tltxt is not None and tltxt.strip():
            tl = _loadtxt(tltxt, f"{path.name}:tract_lengths.txt")
        labels = centres = None
        ctxt = read("centres")
        if ctxt is not None:
            labels, centres = _parse_centres(ctxt, f"{path.name}:centres.txt")
        extra: dict[str, Any] = {}
        for key in ("areas", "cortical", "hemispheres"):
            t = read(key)
            if t is not None and t.strip():
                extra[key] = _loadtxt(t, f"{path.name}:{key}.txt", ndmin=1).reshape(-1)
    fields = dict(weights=weights, tract_lengths=tl, labels=labels, centres=centres, name=path.name, **extra)
    fields.update(kwargs)
    return Connectome(**fields)


def read_tvb_data(name: str | int = 76, **kwargs) -> "Connectome":
    """Load one of the small connectomes shipped with the optional ``tvb-data`` package.

    Parameters
    ----------
    name : int or str
        Number of regions (66, 68, 76, 96, 192) or a name like ``"tvb76"``, ``"connectivity_76"``,
        ``"connectivity_76.zip"``.
    """
    n = _tvb_data_size(name)
    if n is None:
        valid = [f"tvb{k}" for k in TVB_DATA_CONNECTOMES]
        raise ConnectomeError(
            f"Connectome.from_tvb_data: unknown connectome {name!r}; valid names are {valid} "
            f"(or the numbers {list(TVB_DATA_CONNECTOMES)})."
        )
    try:
        spec = importlib.util.find_spec("tvb_data")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise ConnectomeError(
            f"Connectome.from_tvb_data({name!r}) needs the optional package 'tvb-data' (GPL, not bundled): "
            + _TVB_EXTRA_HINT + "."
        )
    for root in spec.submodule_search_locations:
        p = Path(root) / "connectivity" / f"connectivity_{n}.zip"
        if p.is_file():
            kwargs.setdefault("name", f"tvb{n}")
            return read_tvb_zip(p, **kwargs)
    raise ConnectomeError(
        f"Connectome.from_tvb_data: connectivity_{n}.zip not found in the installed tvb_data package "
        f"({list(spec.submodule_search_locations)}); reinstall tvb-data (`pip install --force-reinstall tvb-data`)."
    )


def read_mat(path: str | os.PathLike, weights_key: str = "Cmat", lengths_key: str | None = "Dmat",
             **kwargs) -> "Connectome":
    """Read a MATLAB file in neurolib's layout (``Cmat`` weights, ``Dmat`` tract lengths in mm).

    Set ``lengths_key=None`` to ignore lengths. Row/column orientation is kept as stored (neurolib
    also uses ``Cmat[target, source]``).
    """
    from scipy.io import loadmat

    path = Path(path)
    try:
        d = loadmat(path)
    except FileNotFoundError:
        raise ConnectomeError(f"Connectome.from_mat: no such file {path}.") from None
    except Exception as exc:  # scipy raises several types for malformed files
        raise ConnectomeError(f"Connectome.from_mat: cannot read {path} as a .mat file ({exc}).") from None
    keys = [k for k in d if not k.startswith("__")]
    if weights_key not in d:
        raise ConnectomeError(
            f"Connectome.from_mat: {path.name} has no variable {weights_key!r}; it has {keys}. "
            "Pass weights_key=... (and lengths_key=...)."
        )
    tl = None
    if lengths_key is not None:
        if lengths_key not in d:
            raise ConnectomeError(
                f"Connectome.from_mat: {path.name} has no variable {lengths_key!r}; it has {keys}. "
                "Pass lengths_key=None if the file has no tract lengths."
            )
        tl = d[lengths_key]
    kwargs.setdefault("name", path.name)
    return Connectome(weights=d[weights_key], tract_lengths=tl, **kwargs)


def read_matrices(weights, tract_lengths=None, **kwargs) -> "Connectome":
    """Build from arrays or from plain matrix files (``.npy``, ``.csv``, ``.txt``/``.dat`` whitespace).

    Examples
    --------
    >>> import numpy as np
    >>> Connectome.from_matrices(np.eye(2) * 0 + [[0, 1], [1, 0]]).n_regions
    2
    """
    w = _read_matrix(weights, "weights")
    tl = None if tract_lengths is None else _read_matrix(tract_lengths, "tract_lengths")
    if isinstance(weights, (str, os.PathLike)):
        kwargs.setdefault("name", Path(weights).name)
    return Connectome(weights=w, tract_lengths=tl, **kwargs)


def read_triplets(path: str | os.PathLike, *, index_base: int = 0, **kwargs) -> "Connectome":
    """Read an ``i j value`` triplet file whose first line is the number of regions.

    ``i`` is the row (target) and ``j`` the column (source), as in ``sc2017.dat`` of the AAL90 data,
    whose indices are 0-based (``index_base=0``, the default; use 1 for MATLAB-style files). Absent
    pairs are 0; a pair listed twice is an error.
    """
    path = Path(path)
    if not path.is_file():
        raise ConnectomeError(f"Connectome.from_triplets: no such file {path}.")
    with open(path) as fh:
        header = fh.readline().split()
        try:
            if len(header) != 1:
                raise ValueError
            n = int(header[0])
        except ValueError:
            raise ConnectomeError(
                f"Connectome.from_triplets: {path.name} line 1 must hold the number of regions alone, "
                f"got {' '.join(header)!r}."
            ) from None
        try:
            data = np.loadtxt(fh, ndmin=2)
        except ValueError as exc:
            raise ConnectomeError(f"Connectome.from_triplets: {path.name}: malformed line ({exc}).") from None
    if data.size == 0:
        data = np.zeros((0, 3))
    if data.shape[1] != 3:
        raise ConnectomeError(f"Connectome.from_triplets: {path.name} must have 3 columns 'i j value', got {data.shape[1]}.")
    ij = data[:, :2]
    if not np.array_equal(ij, np.round(ij)):
        raise ConnectomeError(f"Connectome.from_triplets: {path.name} has non-integer indices.")
    ij = ij.astype(np.int64) - index_base
    if ij.size and (ij.min() < 0 or ij.max() >= n):
        raise ConnectomeError(
            f"Connectome.from_triplets: {path.name} indices run from {ij.min() + index_base} to "
            f"{ij.max() + index_base} but the header says {n} regions with index_base={index_base}; "
            "check index_base (0 for 0-based files, 1 for 1-based)."
        )
    flat = ij[:, 0] * n + ij[:, 1]
    if np.unique(flat).size != flat.size:
        raise ConnectomeError(f"Connectome.from_triplets: {path.name} lists some (i, j) pair twice.")
    w = np.zeros((n, n))
    w[ij[:, 0], ij[:, 1]] = data[:, 2]
    kwargs.setdefault("name", path.name)
    return Connectome(weights=w, **kwargs)


def read_npz(path: str | os.PathLike, key: str | None = None, **kwargs) -> "Connectome":
    """Read an ``.npz``: our :meth:`save` layout (key ``weights`` plus optional fields), or an archive
    holding a single matrix (e.g. ``NormalizedMatrix.npz``), or the matrix named by ``key``."""
    path = Path(path)
    if not path.is_file():
        raise ConnectomeError(f"Connectome.from_npz: no such file {path}.")
    with np.load(path, allow_pickle=False) as d:
        keys = list(d.keys())
        fields: dict[str, Any] = {}
        if key is None and "weights" in keys:
            fields["weights"] = d["weights"]
            for k in ("tract_lengths", "centres", "areas", "cortical", "hemispheres"):
                if k in keys:
                    fields[k] = d[k]
            if "labels" in keys:
                fields["labels"] = [str(s) for s in d["labels"]]
            if "name" in keys:
                fields["name"] = str(d["name"])
            if "allow_negative" in keys:
                fields["allow_negative"] = bool(d["allow_negative"])
        else:
            if key is None:
                if len(keys) != 1:
                    raise ConnectomeError(
                        f"Connectome.from_npz: {path.name} holds {keys}; pass key=... naming the weights matrix."
                    )
                key = keys[0]
            if key not in keys:
                raise ConnectomeError(f"Connectome.from_npz: {path.name} has no array {key!r}; {close_matches(key, keys)}")
            fields["weights"] = d[key]
            fields["name"] = path.name
    fields.update(kwargs)
    return Connectome(**fields)


def read_aal90(directory: str | os.PathLike, matrix: str = "raw", **kwargs) -> "Connectome":
    """Load the AAL90 data of Delicado, Huguet & Clusella 2025 from its folder (``sc2017.dat``,
    ``NormalizedMatrix.npz``, ``aal.dat``), with labels, MNI centres and hemispheres from ``aal.dat``.

    ``matrix='raw'`` reads ``sc2017.dat``; ``'normalized'`` reads ``NormalizedMatrix.npz`` (row sums 1).
    No tract lengths are provided by these files.
    """
    d = Path(directory)
    files = {"raw": "sc2017.dat", "normalized": "NormalizedMatrix.npz", "normalised": "NormalizedMatrix.npz"}
    if matrix not in files:
        raise ConnectomeError(f"Connectome.from_aal90: matrix must be 'raw' or 'normalized', got {matrix!r}.")
    table = read_aal_table(d / "aal.dat") if (d / "aal.dat").is_file() else None
    meta: dict[str, Any] = {}
    if table is not None:
        meta = dict(labels=table["labels"], centres=table["centres"], hemispheres=table["hemispheres"])
    meta.update(kwargs)
    meta.setdefault("name", f"aal90 ({files[matrix]})")
    if files[matrix].endswith(".dat"):
        return read_triplets(d / files[matrix], **meta)
    return read_npz(d / files[matrix], key="normalized_matrix", **meta)


def _loadtxt(text: str, where: str, ndmin: int = 2) -> np.ndarray:
    try:
        return np.loadtxt(io.StringIO(text), ndmin=ndmin)
    except ValueError as exc:
        raise ConnectomeError(f"{where}: cannot parse numbers ({exc}).") from None


def _parse_centres(text: str, where: str) -> tuple[list[str] | None, np.ndarray]:
    labels: list[str] = []
    coords: list[list[float]] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        tok = line.split()
        if not tok:
            continue
        try:
            # 'x y z' (no label) or 'label x y z [ignored ...]'
            if len(tok) == 3:
                coords.append([float(t) for t in tok])
                labels.append("")
            else:
                coords.append([float(t) for t in tok[1:4]])
                labels.append(tok[0])
        except ValueError:
            raise ConnectomeError(f"{where} line {lineno}: expected 'label x y z', got {line.strip()!r}.") from None
    if all(lab == "" for lab in labels):
        return None, np.array(coords)
    return labels, np.array(coords)


def _read_matrix(src, what: str) -> np.ndarray:
    if not isinstance(src, (str, os.PathLike)):
        return np.asarray(src)
    p = Path(src)
    if not p.is_file():
        raise ConnectomeError(f"Connectome: {what} file {p} does not exist.")
    suf = p.suffix.lower()
    try:
        if suf == ".npy":
            return np.load(p, allow_pickle=False)
        if suf == ".csv":
            return np.loadtxt(p, delimiter=",", ndmin=2)
        if suf in (".txt", ".dat", ".tsv"):
            return np.loadtxt(p, ndmin=2)
    except ValueError as exc:
        raise ConnectomeError(f"Connectome: cannot read {what} from {p} ({exc}); is there a header line?") from None
    raise ConnectomeError(f"Connectome: unsupported {what} file type {suf!r} ({p}); use .npy, .csv or .txt.")


def _tvb_data_size(name: str | int) -> int | None:
    if isinstance(name, (int, np.integer)):
        return int(name) if int(name) in TVB_DATA_CONNECTOMES else None
    m = re.fullmatch(r"(?:tvb[_-]?|connectivity_)?(\d+)(?:\.zip)?", str(name).strip().lower())
    if m and int(m.group(1)) in TVB_DATA_CONNECTOMES:
        return int(m.group(1))
    return None


def read_aal_table(path: str | os.PathLike) -> dict[str, Any]:
    """Read the AAL region table ``aal.dat`` (``index name x y z lobe hemi index``, 1-based indices,
    ``#`` header). Returns ``labels``, ``centres`` (MNI mm), ``lobes``, ``hemispheres`` (True = right)."""
    path = Path(path)
    rows = []
    with open(path) as fh:
        for lineno, line in enumerate(fh, 1):
            tok = line.split()
            if not tok or tok[0].startswith("#"):
                continue
            if len(tok) < 7:
                raise ConnectomeError(f"read_aal_table: {path.name} line {lineno}: expected 'index name x y z lobe hemi'.")
            rows.append(tok)
    idx = [int(r[0]) for r in rows]
    if idx != list(range(1, len(rows) + 1)):
        raise ConnectomeError(f"read_aal_table: {path.name}: indices are not 1..{len(rows)} in order.")
    hemi = [r[6] for r in rows]
    if not set(hemi) <= {"L", "R"}:
        raise ConnectomeError(f"read_aal_table: {path.name}: hemisphere column must be L or R, got {sorted(set(hemi))}.")
    return {
        "labels": [r[1] for r in rows],
        "centres": np.array([[float(v) for v in r[2:5]] for r in rows]),
        "lobes": [r[5] for r in rows],
        "hemispheres": np.array([h == "R" for h in hemi]),
    }


def load_connectome(name_or_path: str | int | os.PathLike, **kwargs) -> Connectome:
    """Load a connectome by file extension, folder or name.

    * ``.zip`` -> TVB zip; ``.mat`` -> neurolib (``Cmat``/``Dmat``); ``.npz`` -> :meth:`Connectome.from_npz`;
      ``.npy``/``.csv`` -> plain weights matrix; ``.txt``/``.dat`` -> triplets when line 1 is a single
      integer, else a plain matrix;
    * a folder holding ``sc2017.dat`` -> AAL90 (:meth:`Connectome.from_aal90`), a folder holding
      ``weights.txt`` -> unpacked TVB layout; a folder holding one ``connectivity_*.zip`` -> that zip;
    * a name or number of the ``tvb-data`` connectomes: ``"tvb76"``, ``"connectivity_96"``, ``68``.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "w.npy"); np.save(p, np.array([[0., 1.], [1., 0.]]))
    >>> load_connectome(p).n_regions
    2
    """
    if isinstance(name_or_path, (int, np.integer)):
        return read_tvb_data(name_or_path, **kwargs)
    p = Path(name_or_path)
    if p.is_dir():
        if (p / "sc2017.dat").is_file():
            return read_aal90(p, **kwargs)
        if (p / "weights.txt").is_file():
            tl = p / "tract_lengths.txt"
            fields: dict[str, Any] = {}
            if (p / "centres.txt").is_file():
                fields["labels"], fields["centres"] = _parse_centres((p / "centres.txt").read_text(), str(p / "centres.txt"))
            fields.update(kwargs)
            return read_matrices(p / "weights.txt", tl if tl.is_file() else None, **fields)
        zips = sorted(p.glob("connectivity_*.zip"))
        if len(zips) == 1:
            return read_tvb_zip(zips[0], **kwargs)
        raise ConnectomeError(
            f"load_connectome: folder {p} holds no recognised connectome (sc2017.dat, weights.txt or one "
            "connectivity_*.zip)."
        )
    if p.is_file():
        suf = p.suffix.lower()
        if suf == ".zip":
            return read_tvb_zip(p, **kwargs)
        if suf == ".mat":
            return read_mat(p, **kwargs)
        if suf == ".npz":
            return read_npz(p, **kwargs)
        if suf in (".npy", ".csv"):
            return read_matrices(p, **kwargs)
        if suf in (".txt", ".dat", ".tsv"):
            with open(p) as fh:
                first = fh.readline().split()
            if len(first) == 1 and re.fullmatch(r"\d+", first[0]):
                return read_triplets(p, **kwargs)
            return read_matrices(p, **kwargs)
        raise ConnectomeError(
            f"load_connectome: unsupported file type {suf!r} ({p}); use .zip (TVB), .mat (neurolib), .npz, "
            ".npy, .csv, .txt or .dat (triplets)."
        )
    if _tvb_data_size(str(name_or_path)) is not None:
        return read_tvb_data(str(name_or_path), **kwargs)
    valid = [f"tvb{k}" for k in TVB_DATA_CONNECTOMES]
    raise ConnectomeError(
        f"load_connectome: {str(name_or_path)!r} is neither an existing file/folder nor a known name; "
        f"known names: {valid} (from tvb-data), {close_matches(str(name_or_path), valid)}"
    )
