// libFuzzer target: the fixture reader and validator on raw bytes, through the HDF5 file-image
// API (load_fixture_image). Every input must end in a Fixture that validates, or in a
// FixtureError naming the file; any other exception, a crash, a sanitizer report, a hang or
// a runaway allocation is a finding.
//
// The loader normally reads each file in a forked child first (harness/fixture/isolated_read.h)
// because HDF5 1.10 itself segfaults or spins on some damaged files. Here that is off, so the
// fuzzer sees coverage and crashes where they happen; libFuzzer then also finds HDF5's own
// crashes, which the CLI contains. fuzz/run tells them apart by the crashing frame and checks
// each HDF5 finding is contained by rerunning it with TTT_FUZZ_ISOLATED=1, which turns the
// child-process read back on (what `ttt-harness check` does); each becomes a file of the
// bad-input corpus (suites/badinput/make_corpus.py). docs/ROBUSTNESS.md has the details.
#include <harness/fixture/fixture.h>
#include <harness/fixture/isolated_read.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace th = ttt::harness;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* isolated = std::getenv("TTT_FUZZ_ISOLATED");
  th::detail::isolation_settings().enabled = isolated != nullptr && std::strcmp(isolated, "1") == 0;
  // An HDF5 hang is declared after 2 s (fuzz/run reruns with libFuzzer's -timeout well above).
  th::detail::isolation_settings().timeout_seconds = 2;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const th::Fixture fixture = th::load_fixture_image(data, size, "fuzz");
    // What the loader returns validates (and so may be written).
    th::validate_fixture(fixture);
  } catch (const th::FixtureError& e) {
    if (e.file() != "fuzz") {
      std::fprintf(stderr, "\n==== fuzz_fixture_image finding: FixtureError names %s\n", e.file().c_str());
      std::abort();
    }
  }
  return 0;
}
