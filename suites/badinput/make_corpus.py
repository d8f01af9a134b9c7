#!/usr/bin/env python3
"""Writes the bad-input corpus for the fixture loader.

Builds valid fixtures following docs/FIXTURES.md (schema version 1) with h5py,
independently of the C++ writer, into valid/; derives each file of corpus/ from one of
them with exactly one defect; writes expected.json (file -> substring the loader's error
must contain) and README.md (the table). Deterministic: rerunning gives the same files.

    .venv/bin/python suites/badinput/make_corpus.py
"""

import json
import shutil
from pathlib import Path

import h5py
import numpy as np

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
VALID = HERE / "valid"

C, H, K, CONV = 8, 2, 2, 2  # hidden_size, heads, mini_batch_size, conv_kernel
F = C // H
B, L = 1, 4  # prefill batch and length
P, T = 3, 2  # decode prompt and decoded lengths

CONFIG = {
    "hidden_size": C,
    "num_attention_heads": H,
    "mini_batch_size": K,
    "rope_theta": 10000.0,
    "ttt_base_lr": 1.0,
    "use_gate": False,
    "share_qk": False,
    "conv_kernel": CONV,
    "use_rope": True,
}
PROVENANCE = {
    "reference": "https://github.com/test-time-training/ttt-lm-pytorch",
    "reference_commit": "0000000000000000000000000000000000000000",
    "generator": "suites/badinput/make_corpus.py",
    "torch_version": "none",
    "python_version": "3",
    "seed": 0,
    "device": "cpu",
    "created_utc": "1970-01-01T00:00:00Z",
}


def values(rng, shape, dtype):
    data = rng.uniform(-1.0, 1.0, size=shape)
    if dtype == "bfloat16":
        return (data.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)
    return data.astype(dtype)


def put(group, name, data, dtype=None):
    dataset = group.create_dataset(name, data=data)
    if dtype == "bfloat16":
        dataset.attrs["dtype"] = "bfloat16"
    return dataset


def param_shapes(layer_type):
    inner = 4 * F if layer_type == "mlp" else F
    shapes = {
        "q_proj.weight": (C, C),
        "k_proj.weight": (C, C),
        "v_proj.weight": (C, C),
        "o_proj.weight": (C, C),
        "learnable_ttt_lr_weight": (H, 1, C),
        "learnable_ttt_lr_bias": (H, 1),
        "learnable_token_idx": (K,),
        "ttt_norm_weight": (H, F),
        "ttt_norm_bias": (H, F),
        "W1": (H, F, inner),
        "b1": (H, 1, inner),
        "post_norm.weight": (C,),
        "post_norm.bias": (C,),
    }
    if layer_type == "mlp":
        shapes["W2"] = (H, 4 * F, F)
        shapes["b2"] = (H, 1, F)
    return shapes


def write_root(f, case, layer_type, mode, dtype, fixed_length=False):
    attrs = {
        "case": case,
        "layer_type": layer_type,
        "mode": mode,
        "dtype": dtype,
        "config": json.dumps(CONFIG),
        "provenance": json.dumps(PROVENANCE),
    }
    f.attrs["schema_version"] = np.int64(1)
    for key, text in attrs.items():
        # Other tools write fixed-length ASCII strings; h5py writes variable-length UTF-8.
        f.attrs[key] = np.bytes_(text) if fixed_length else text


def write_prefill_base(path):
    """TTT-Linear prefill, float32, with output_fp64, backward parity and RoPE intermediates."""
    rng = np.random.default_rng(1)
    dtype = "float32"
    with h5py.File(path, "w") as f:
        write_root(f, "badinput_base_linear_prefill_f32", "linear", "prefill", dtype)
        params = f.create_group("params")
        shapes = param_shapes("linear")
        for name, shape in shapes.items():
            put(params, name, values(rng, shape, dtype))
        inputs = f.create_group("inputs")
        put(inputs, "hidden_states", values(rng, (B, L, C), dtype))
        put(inputs, "position_ids", np.arange(L, dtype=np.int64)[None, :])
        put(inputs, "grad_output", values(rng, (B, L, C), dtype))
        outputs = f.create_group("outputs")
        put(outputs, "output", values(rng, (B, L, C), dtype))
        put(outputs, "output_fp64", values(rng, (B, L, C), "float64"))
        grads = f.create_group("grads")
        for name, shape in shapes.items():
            put(grads, name, values(rng, shape, dtype))
        put(grads, "hidden_states", values(rng, (B, L, C), dtype))
        intermediates = f.create_group("intermediates")
        put(intermediates, "cos", values(rng, (1, L, F), dtype))
        put(intermediates, "sin", values(rng, (1, L, F), dtype))


def write_decode_base(path):
    """TTT-MLP decode, bfloat16 (uint16 bit patterns), fixed-length string attributes."""
    rng = np.random.default_rng(2)
    dtype = "bfloat16"
    with h5py.File(path, "w") as f:
        write_root(f, "badinput_base_mlp_decode_bf16", "mlp", "decode", dtype, fixed_length=True)
        params = f.create_group("params")
        for name, shape in param_shapes("mlp").items():
            put(params, name, values(rng, shape, dtype), dtype)
        inputs = f.create_group("inputs")
        put(inputs, "prefill_hidden_states", values(rng, (B, P, C), dtype), dtype)
        put(inputs, "decode_hidden_states", values(rng, (B, T, C), dtype), dtype)
        outputs = f.create_group("outputs")
        put(outputs, "prefill_output", values(rng, (B, P, C), dtype), dtype)
        put(outputs, "decode_output", values(rng, (B, T, C), dtype), dtype)
        put(outputs, "prefill_output_fp64", values(rng, (B, P, C), "float64"))
        put(outputs, "decode_output_fp64", values(rng, (B, T, C), "float64"))
        state = f.create_group("state")
        for stem, shape in {
            "W1": (B, H, F, 4 * F),
            "b1": (B, H, 1, 4 * F),
            "W2": (B, H, 4 * F, F),
            "b2": (B, H, 1, F),
        }.items():
            put(state, stem + "_states", values(rng, shape, dtype), dtype)
            put(state, stem + "_grad", values(rng, shape, dtype), dtype)


PREFILL = VALID / "base_linear_prefill_f32.h5"
DECODE = VALID / "base_mlp_decode_bf16.h5"

CASES = []  # (file, what is wrong, expected substring, function writing the file)


def case(file, wrong, expected, base=PREFILL):
    """Registers a corpus file derived from `base` by the decorated edit(h5py.File)."""

    def register(edit):
        def write(path):
            shutil.copyfile(base, path)
            with h5py.File(path, "r+") as f:
                edit(f)

        CASES.append((file, wrong, expected, write))
        return edit

    return register


def raw_case(file, wrong, expected):
    """Registers a corpus file written by the decorated function(path)."""

    def register(write):
        CASES.append((file, wrong, expected, write))
        return write

    return register


def set_config(f, **changes):
    config = dict(CONFIG)
    config.update(changes)
    f.attrs["config"] = json.dumps(config)


def replace(group, name, data, dtype=None):
    del group[name]
    return put(group, name, data, dtype)


# --------------------------------------------------------------- not a fixture at all


@raw_case("empty.h5", "empty file (0 bytes)", "empty file (0 bytes), not an HDF5 file")
def _(path):
    path.write_bytes(b"")


@raw_case("truncated.h5", "valid fixture cut in half", "truncated file")
def _(path):
    data = PREFILL.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@raw_case("not_hdf5.h5", "a text file", "not an HDF5 file")
def _(path):
    path.write_text("schema_version = 1\nthis is not an HDF5 file\n")


# --------------------------------------------------------------- root attributes


@case("schema_version_2.h5", "schema_version 2", "attribute schema_version: expected 1, found 2")
def _(f):
    f.attrs["schema_version"] = np.int64(2)


@case("schema_version_string.h5", 'schema_version stored as the string "1"',
      'attribute schema_version: expected integer 1, found string "1"')
def _(f):
    f.attrs["schema_version"] = "1"


@case("schema_version_float.h5", "schema_version stored as float 1.0",
      "attribute schema_version: expected integer 1, found float64 1")
def _(f):
    f.attrs["schema_version"] = np.float64(1.0)


@case("layer_type_unknown.h5", 'layer_type "transformer"',
      'attribute layer_type: expected linear or mlp, found "transformer"')
def _(f):
    f.attrs["layer_type"] = "transformer"


@case("mode_unknown.h5", 'mode "train"', 'attribute mode: expected prefill or decode, found "train"')
def _(f):
    f.attrs["mode"] = "train"


@case("dtype_unknown.h5", 'root dtype "float16"',
      'attribute dtype: expected float64, float32 or bfloat16, found "float16"')
def _(f):
    f.attrs["dtype"] = "float16"


@case("case_missing.h5", "no case attribute", "missing required attribute case")
def _(f):
    del f.attrs["case"]


@case("provenance_missing.h5", "no provenance attribute", "missing required attribute provenance")
def _(f):
    del f.attrs["provenance"]


@case("provenance_not_object.h5", "provenance is a JSON array",
      "attribute provenance: expected a JSON object, found array")
def _(f):
    f.attrs["provenance"] = "[1, 2]"


# --------------------------------------------------------------- config


@case("config_malformed_json.h5", "config is not valid JSON", "attribute config: malformed JSON")
def _(f):
    f.attrs["config"] = '{"hidden_size": 8, "num_attention_heads": '


@case("config_missing_key.h5", "config without mini_batch_size",
      "config: missing required key mini_batch_size")
def _(f):
    config = dict(CONFIG)
    del config["mini_batch_size"]
    f.attrs["config"] = json.dumps(config)


@case("config_integer_as_float.h5", "hidden_size written as 8.0",
      "config: hidden_size must be an integer, found 8.0")
def _(f):
    set_config(f, hidden_size=8.0)


@case("mini_batch_size_zero.h5", "mini_batch_size 0", "config: mini_batch_size must be >= 1, found 0")
def _(f):
    set_config(f, mini_batch_size=0)


@case("heads_not_dividing.h5", "num_attention_heads 3 does not divide hidden_size 8",
      "config: hidden_size 8 is not divisible by num_attention_heads 3")
def _(f):
    set_config(f, num_attention_heads=3)


@case("head_dim_odd.h5", "head_dim 1 with use_rope (hidden_size 8, 8 heads)",
      "config: head_dim 1 (hidden_size 8 / num_attention_heads 8) must be even")
def _(f):
    set_config(f, num_attention_heads=8)


@case("hidden_size_huge.h5", "hidden_size 10^9 with small tensors",
      "config: hidden_size must be <= 65536, found 1000000000")
def _(f):
    set_config(f, hidden_size=10**9)


# --------------------------------------------------------------- presence


@case("missing_output.h5", "no /outputs/output", "missing required dataset /outputs/output")
def _(f):
    del f["outputs/output"]


@case("missing_hidden_states.h5", "no /inputs/hidden_states",
      "missing required dataset /inputs/hidden_states")
def _(f):
    del f["inputs/hidden_states"]


@case("missing_param.h5", "no /params/o_proj.weight", "missing required dataset /params/o_proj.weight")
def _(f):
    del f["params/o_proj.weight"]


@case("decode_missing_W1_states.h5", "decode fixture without /state/W1_states",
      "missing required dataset /state/W1_states", base=DECODE)
def _(f):
    del f["state/W1_states"]


@case("grads_without_grad_output.h5", "/grads present, /inputs/grad_output absent",
      "missing required dataset /inputs/grad_output (required when /grads is present)")
def _(f):
    del f["inputs/grad_output"]


@case("params_is_a_dataset.h5", "/params is a dataset, not a group",
      "expected group /params, found a dataset")
def _(f):
    del f["params"]
    f.create_dataset("params", data=np.zeros(3, dtype=np.float32))


@case("external_link.h5", "/outputs/output is an external link to another file",
      "link /outputs/output points into another file")
def _(f):
    del f["outputs/output"]
    f["outputs/output"] = h5py.ExternalLink("base_linear_prefill_f32.h5", "/outputs/output")


# --------------------------------------------------------------- shapes


@case("param_wrong_shape.h5", "W1 of shape [2, 4, 5]",
      "dataset /params/W1: expected shape [2, 4, 4] (H, f, f), found [2, 4, 5]")
def _(f):
    replace(f["params"], "W1", np.zeros((H, F, F + 1), dtype=np.float32))


@case("position_ids_length.h5", "position_ids of length 5 for L = 4",
      "dataset /inputs/position_ids: expected shape [1, 4] (1, L), found [1, 5]")
def _(f):
    replace(f["inputs"], "position_ids", np.arange(5, dtype=np.int64)[None, :])


@case("hidden_states_rank2.h5", "hidden_states of rank 2",
      "dataset /inputs/hidden_states: expected shape [B, L, C]")
def _(f):
    replace(f["inputs"], "hidden_states", np.zeros((L, C), dtype=np.float32))


@case("decode_batch_mismatch.h5", "decode_hidden_states with batch 2, prompt with batch 1",
      "dataset /inputs/decode_hidden_states: expected batch size B = 1", base=DECODE)
def _(f):
    replace(f["inputs"], "decode_hidden_states", np.zeros((2, T, C), dtype=np.uint16), "bfloat16")


@case("grad_wrong_shape.h5", "/grads/W1 of shape [2, 4]",
      "dataset /grads/W1: expected shape [2, 4, 4] (H, f, f), found [2, 4]")
def _(f):
    replace(f["grads"], "W1", np.zeros((H, F), dtype=np.float32))


@case("intermediate_cos_wrong_shape.h5", "/intermediates/cos of shape [4, 4]",
      "dataset /intermediates/cos: expected shape [1, 4, 4] (1, L, f), found [4, 4]")
def _(f):
    replace(f["intermediates"], "cos", np.zeros((L, F), dtype=np.float32))


# --------------------------------------------------------------- dtypes


@case("param_integer_dtype.h5", "W1 stored as int64",
      "dataset /params/W1: expected dtype float64, float32 or bfloat16, found int64")
def _(f):
    replace(f["params"], "W1", np.ones((H, F, F), dtype=np.int64))


@case("position_ids_float.h5", "position_ids stored as float64",
      "dataset /inputs/position_ids: expected dtype int64 (or int32), found float64")
def _(f):
    replace(f["inputs"], "position_ids", np.arange(L, dtype=np.float64)[None, :])


@case("fp64_output_float32.h5", "output_fp64 stored as float32",
      "dataset /outputs/output_fp64: expected dtype float64, found float32")
def _(f):
    replace(f["outputs"], "output_fp64", np.zeros((B, L, C), dtype=np.float32))


@case("bf16_stored_32bit.h5", 'dtype="bfloat16" on a float32 dataset',
      'dataset /params/W1: dtype attribute "bfloat16" cannot be honoured: bf16 dataset stored 32 bits wide')
def _(f):
    f["params/W1"].attrs["dtype"] = "bfloat16"


@case("dtype_attr_float16.h5", 'W1 stored as float16 with dtype="float16"',
      'dataset /params/W1: dtype attribute "float16" cannot be honoured')
def _(f):
    replace(f["params"], "W1", np.zeros((H, F, F), dtype=np.float16)).attrs["dtype"] = "float16"


@case("dtype_attr_disagrees.h5", 'dtype="float64" on a float32 dataset',
      'dataset /params/W1: dtype attribute "float64" disagrees with the stored type float32')
def _(f):
    f["params/W1"].attrs["dtype"] = "float64"


@case("uint16_without_dtype_attr.h5", "W1 stored as uint16 with no dtype attribute",
      "dataset /params/W1: expected dtype float64, float32 or bfloat16, found uint16", base=DECODE)
def _(f):
    del f["params/W1"].attrs["dtype"]


# --------------------------------------------------------------- values


@case("output_nan.h5", "a NaN in the golden output",
      "dataset /outputs/output: 1 non-finite value(s) (NaN or inf), the first a NaN at [0, 2, 3]")
def _(f):
    data = f["outputs/output"][...]
    data[0, 2, 3] = np.nan
    f["outputs/output"][...] = data


@case("input_inf.h5", "an inf in the input",
      "dataset /inputs/hidden_states: 1 non-finite value(s) (NaN or inf), the first an inf at [0, 1, 0]")
def _(f):
    data = f["inputs/hidden_states"][...]
    data[0, 1, 0] = -np.inf
    f["inputs/hidden_states"][...] = data


@case("bf16_nan_bits.h5", "a bfloat16 NaN bit pattern (0x7FC0) in a state tensor",
      "dataset /state/b2_grad: 1 non-finite value(s) (NaN or inf), the first a NaN", base=DECODE)
def _(f):
    data = f["state/b2_grad"][...]
    data.flat[5] = 0x7FC0
    f["state/b2_grad"][...] = data


# --------------------------------------------------------------- values stored outside the file
#
# A fixture is judged on its own bytes (which its manifest covers); a dataset whose values live
# elsewhere is refused before anything is read. These name files that need not exist: the
# refusal comes first. OutsideData.* in suites/badinput/cli_corpus_test.cpp makes the same
# layouts at test time with real outside data (absolute paths), which HDF5 reads correctly,
# and shows them refused too.


def _as_layout(f, name, make):
    data = f[name][...]
    del f[name]
    make(data)


@case("external_storage.h5", "/outputs/output stored as external raw data in another file",
      'dataset /outputs/output: external raw storage (1 outside file(s), the first "output.bin")')
def _(f):
    _as_layout(f, "outputs/output", lambda data: f.create_dataset(
        "outputs/output", shape=data.shape, dtype=data.dtype, external=[("output.bin", 0, data.nbytes)]))


@case("virtual_dataset_same_file.h5",
      "/outputs/output a virtual dataset mapping another dataset of the same file",
      "dataset /outputs/output: virtual dataset (layout H5D_VIRTUAL, 1 mapping(s)")
def _(f):
    def make(data):
        f.create_dataset("elsewhere/output", data=data)
        # Low-level, for a creation property list without object timestamps: h5py's
        # create_virtual_dataset stores them, and the corpus must be the same bytes every run.
        space = h5py.h5s.create_simple(data.shape)
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_obj_track_times(False)
        dcpl.set_virtual(space, b".", b"elsewhere/output", space)
        h5py.h5d.create(f.id, b"outputs/output", h5py.h5t.py_create(data.dtype), space, dcpl=dcpl)

    _as_layout(f, "outputs/output", make)


@case("filter_not_built_in.h5", "/outputs/output through filter 32001 (blosc), which needs a plugin",
      'dataset /outputs/output: filter 32001 "" is not built into the reader')
def _(f):
    _as_layout(f, "outputs/output", lambda data: f.create_dataset(
        "outputs/output", data=data, chunks=data.shape, compression=32001, allow_unknown_filter=True))


# --------------------------------------------------------------- damaged HDF5 structures
#
# One flipped bit in the global heap that holds the variable-length string attributes (as
# h5py writes them). HDF5 1.10.8 itself segfaults or spins forever on these (found by
# flipping single bits of valid/base_linear_prefill_f32.h5); the loader's child-process read
# turns that into an error. The bit is located by parsing the file, not by a fixed offset.

HDF5_CRASHED = "the HDF5 library crashed reading this file"
HDF5_HUNG = "the HDF5 library did not finish reading this file within"


def global_heap(data):
    """The file's one global-heap collection: its offset and {object index: (offset, size)}."""
    start = data.find(b"GCOL")
    assert start > 0 and data.find(b"GCOL", start + 1) < 0, "expected one global heap"
    assert data[start + 4] == 1, "global heap version 1"
    size = int.from_bytes(data[start + 8 : start + 16], "little")
    objects, at = {}, start + 16
    while at + 16 <= start + size:
        index = int.from_bytes(data[at : at + 2], "little")
        length = int.from_bytes(data[at + 8 : at + 16], "little")
        objects[index] = (at, length)
        if index == 0:  # the free space closes the collection
            break
        at += 16 + (length + 7) // 8 * 8
    return start, objects


def case_string_object(data):
    """Heap index, object offset and vlen reference offset of the `case` attribute's string."""
    heap, objects = global_heap(data)
    case = b"badinput_base_linear_prefill_f32"
    [(index, at)] = [(i, at) for i, (at, n) in objects.items() if data[at + 16 : at + 16 + n] == case]
    # The attribute's value: uint32 length, heap collection address, uint32 object index.
    reference = len(case).to_bytes(4, "little") + heap.to_bytes(8, "little") + index.to_bytes(4, "little")
    assert data.count(reference) == 1, "expected one reference to the case string"
    return index, at, data.find(reference)


def flipped(path, locate):
    """Writes valid/base_linear_prefill_f32.h5 with the bit `locate(data)` -> (byte, bit) flipped."""
    data = bytearray(PREFILL.read_bytes())
    byte, bit = locate(bytes(data))
    data[byte] ^= 1 << bit
    path.write_bytes(bytes(data))


@raw_case("hdf5_heap_object_size_segv.h5",
          "global-heap object of the `case` string claims 2^32 + 32 bytes (bit 32 of its size flipped): "
          "HDF5 segfaults copying it (H5HG_read)", HDF5_CRASHED)
def _(path):
    flipped(path, lambda data: (case_string_object(data)[1] + 8 + 4, 0))


@raw_case("hdf5_vlen_heap_index_segv.h5",
          "the `case` attribute's reference names heap object 0x80000001 (bit 31 of the index flipped): "
          "HDF5 segfaults looking it up (H5HG_read)", HDF5_CRASHED)
def _(path):
    flipped(path, lambda data: (case_string_object(data)[2] + 12 + 3, 7))


@raw_case("hdf5_heap_free_space_hang.h5",
          "the global heap's free-space object is 1024 bytes short (bit 10 of its size flipped): "
          "HDF5 never finishes loading the heap (H5HG__protect)", HDF5_HUNG)
def _(path):
    def locate(data):
        at, size = global_heap(data)[1][0]
        assert size & (1 << 10), "the free space must have bit 10 set"
        return at + 8 + 1, 2

    flipped(path, locate)


def markdown_table():
    rows = ["| file | what is wrong | expected message contains |", "|---|---|---|"]
    for file, wrong, expected, _ in CASES:
        rows.append(f"| `{file}` | {wrong} | `{expected}` |")
    return "\n".join(rows)


README = """# Bad-input corpus

Every file in `corpus/` breaks the fixture contract (`docs/FIXTURES.md`, schema
version 1) in exactly one way. `ttt_badinput_tests` (`ctest --preset default -L badinput`)
loads each one and requires a `FixtureError` that names the file and whose message contains
the substring in `expected.json`; it also requires that `corpus/` and `expected.json` list
the same files, and that the valid fixtures in `valid/` (from which every corpus file is
derived) load, so each refusal is due to its one defect.

`ttt_badinput_cli_tests` (same label) runs the built `ttt-harness check` on each file alone
(exactly one line `ERROR <file>: <message>` with the expected substring, exit 2), on the whole
folder followed by a good committed fixture in one run (every file its ERROR line, in order,
then the good one PASSes), and checks exit status 1 for a failed case alone and 2 when an
unusable file comes with it. Every run is bounded by timeout(1) and a CPU-time limit that the
tool's forked reader inherits: a file on which HDF5 spins ends there after 20 s of CPU, killed
by SIGXCPU, rather than after the tool's 60 s read timeout, and is reported as an HDF5 crash.

The `hdf5_*` files differ from a valid base by one flipped bit in the global heap behind the
variable-length string attributes; HDF5 1.10.8 itself segfaults or never returns on them, and
the loader's child-process read (harness/fixture/isolated_read.h) turns that into an error.
See docs/ROBUSTNESS.md.

The files are written by `make_corpus.py` with h5py, independently of the C++ writer. After
changing it, regenerate and commit `corpus/`, `valid/`, `expected.json` and this README:

    .venv/bin/python suites/badinput/make_corpus.py

Valid bases: `valid/base_linear_prefill_f32.h5` (TTT-Linear prefill, float32, with
`output_fp64`, backward parity and RoPE intermediates; variable-length UTF-8 strings, as h5py
writes them) and `valid/base_mlp_decode_bf16.h5` (TTT-MLP decode, bfloat16 as uint16 bit
patterns, fixed-length ASCII strings, as other tools write them). Shapes: C = 8, H = 2,
f = 4, K = 2, prefill B = 1, L = 4; decode B = 1, P = 3, T = 2.

"""


def main():
    for folder in (CORPUS, VALID):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    write_prefill_base(PREFILL)
    write_decode_base(DECODE)
    expected = {}
    for file, _, message, write in CASES:
        assert file not in expected, file
        write(CORPUS / file)
        expected[file] = message
    (HERE / "expected.json").write_text(json.dumps(expected, indent=2, sort_keys=True) + "\n")
    (HERE / "README.md").write_text(README + markdown_table() + "\n")
    print(f"wrote {len(CASES)} corpus files and 2 valid bases under {HERE}")


if __name__ == "__main__":
    main()
