"""HDF5 fixture files, schema version 1 (docs/FIXTURES.md): atomic writing and reading.

A fixture in memory is root attributes plus datasets keyed by full path
("/params/W1"), held as torch tensors in their own dtype. bfloat16 is stored as uint16
bit patterns with the dataset attribute dtype = "bfloat16".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch

from .atomic_file import atomic_write

_STORED = {torch.float64: np.float64, torch.float32: np.float32, torch.int64: np.int64}
_DTYPE_ATTR = {"float64": np.float64, "float32": np.float32, "int64": np.int64}


@dataclass
class Fixture:
    attrs: dict[str, Any] = field(default_factory=dict)
    datasets: dict[str, torch.Tensor] = field(default_factory=dict)

    def group(self, name: str) -> dict[str, torch.Tensor]:
        """Datasets of one group by their name inside it, e.g. group("params")["W1"]."""
        prefix = f"/{name}/"
        return {p[len(prefix):]: t for p, t in self.datasets.items() if p.startswith(prefix)}


def to_stored(tensor: torch.Tensor) -> tuple[np.ndarray, str | None]:
    """(array to store, dtype attribute or None)."""
    tensor = tensor.detach().contiguous().cpu()
    if tensor.dtype == torch.bfloat16:
        return tensor.view(torch.int16).numpy().view(np.uint16), "bfloat16"
    if tensor.dtype not in _STORED:
        raise TypeError(f"cannot store dtype {tensor.dtype}")
    return tensor.numpy().astype(_STORED[tensor.dtype], copy=False), None


def from_stored(array: np.ndarray, dtype_attr: str | None, where: str) -> torch.Tensor:
    if dtype_attr == "bfloat16":
        if array.dtype != np.uint16:
            raise ValueError(f"{where}: dtype attribute bfloat16 needs uint16 data, got {array.dtype}")
        return torch.from_numpy(array.view(np.int16).copy()).view(torch.bfloat16)
    if dtype_attr is not None:
        if dtype_attr not in _DTYPE_ATTR:
            raise ValueError(f"{where}: unknown dtype attribute {dtype_attr!r}")
        if array.dtype != _DTYPE_ATTR[dtype_attr]:
            raise ValueError(f"{where}: dtype attribute {dtype_attr} but data is {array.dtype}")
    if array.dtype not in (np.float64, np.float32, np.int64):
        raise ValueError(f"{where}: unsupported stored dtype {array.dtype}")
    return torch.from_numpy(np.ascontiguousarray(array).copy())


def write_fixture(fixture: Fixture, path: Path, compress: bool = False) -> None:
    """`compress`: datasets over 64 KiB shuffled and deflated (filters the contract allows,
    docs/FIXTURES.md section 9), for the real-shape fixtures, whose weights dominate: about 15%
    smaller. The case matrix is written without, as it always was."""
    def write(tmp: Path) -> None:
        with h5py.File(tmp, "w") as f:
            for key, value in fixture.attrs.items():
                f.attrs[key] = value
            for name, tensor in fixture.datasets.items():
                array, dtype_attr = to_stored(tensor)
                filters = ({"compression": "gzip", "compression_opts": 6, "shuffle": True}
                           if compress and array.nbytes > 64 * 1024 else {})
                dset = f.create_dataset(name, data=array, **filters)
                if dtype_attr is not None:
                    dset.attrs["dtype"] = dtype_attr

    atomic_write(path, write)


def _attr(value):
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.generic):
        return value.item()
    return value


def read_fixture(path: Path) -> Fixture:
    fixture = Fixture()
    with h5py.File(path, "r") as f:
        fixture.attrs = {k: _attr(v) for k, v in f.attrs.items()}

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                dtype_attr = obj.attrs.get("dtype")
                dtype_attr = _attr(dtype_attr) if dtype_attr is not None else None
                fixture.datasets["/" + name] = from_stored(obj[()], dtype_attr, f"{path}:/{name}")

        f.visititems(visit)
    return fixture
