"""Golden-fixture generator for ttt-harness, driving the upstream ttt-lm-pytorch `ttt.py`.

Modules, one job each:
  upstream    find the reference, pin its commit, import ttt.py by path
  patches     run-time patches of the reference (use_rope off, capture of intermediates)
  cases       the committed case matrix
  randomize   seeded parameter values and inputs
  layer       build an upstream layer with given parameter values
  protocols   prefill / decode / backward runs, exactly as the reference is used
  produce     one case -> one in-memory fixture (datasets + attributes)
  atomic_file atomic writing of any file (temporary file, fsync, rename)
  fixture_io  HDF5 reading and writing (schema version 1, bf16 as uint16)
  manifest    fixtures/MANIFEST.json
  compare     numeric comparison of two fixtures
  check       --check: regenerate into a temporary folder and compare
  verify      --verify: rerun stored fixtures through the reference
"""

PINNED_COMMIT = "cd831db10c8c9a0f6340f02da5613316a8a92b67"
REFERENCE_REPO = "test-time-training/ttt-lm-pytorch"
REFERENCE_URL = "https://github.com/test-time-training/ttt-lm-pytorch"
SCHEMA_VERSION = 1
