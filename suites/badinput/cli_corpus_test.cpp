// The bad-input corpus through the built `ttt-harness check`, as a user runs it: every file
// is one line `ERROR <file>: <message>` whose message contains the substring expected.json
// gives for it (the same table the library-level badinput_test.cpp uses); the run goes on
// past every bad file, including those on which HDF5 itself segfaults or spins (the loader's
// child-process read contains them); exit status 2 when any input was unusable, 1 when none
// was but a case failed; never a crash, an abort or a hang.
//
// Every run is bounded twice: by timeout(1) (a hung tool exits 124, which fails the test)
// and by a CPU-time limit of kCpuSeconds that the tool's forked reader inherits. The limit
// is what ends a file on which HDF5 spins in kCpuSeconds instead of the tool's default 60 s
// wall-clock read timeout: the reader is then killed by SIGXCPU, and the tool reports that as
// a crash of the HDF5 library. CliCorpusRun.ReadTimeoutEndsAHangingFileSooner checks the
// --read-timeout message itself.
#include "ttt_badinput_cli_paths.h"
#include "ttt_paths.h"

#include "suites/support/cli_run.h"
#include "suites/support/temp_dir.h"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <nlohmann/json.hpp>

#include <signal.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <stdexcept>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

const fs::path kRoot = fs::path(TTT_SOURCE_DIR) / "suites" / "badinput";
const fs::path kCorpus = kRoot / "corpus";
const fs::path kNegative = fs::path(TTT_SOURCE_DIR) / "suites" / "golden" / "negative";
// A small committed fixture that passes (verified against fixtures/MANIFEST.json), and a
// negative fixture (suites/golden/negative) that must come out FAIL.
const fs::path kGood = fs::path(TTT_FIXTURES_DIR) / "linear_rope_f64_b1_l5_k16.h5";
const std::string kGoodCase = "linear_rope_f64_b1_l5_k16";
const fs::path kFailing = kNegative / "neg_nudged_linear_rope_f64_b2_l75_k16.h5";
const std::string kFailingCase = "neg_nudged_linear_rope_f64_b2_l75_k16";

// Per process: the tool and each forked reader. The tool itself needs about a second of CPU
// (two under the asan preset) for these runs; each spinning read costs the whole limit, so it
// is kept short for the CI tier's time.
constexpr int kCpuSeconds = 6;
constexpr int kWallClockSeconds = 300;  // the whole run

// expected.json's message for a file on which HDF5 spins; see the header comment.
const std::string kHung = "the HDF5 library did not finish reading this file within";

using ttt::testing::CliRun;
using ttt::testing::read_text;

// Runs `ttt-harness check ARGS...` under the CPU and wall-clock limits.
CliRun check(const std::vector<std::string>& args) {
  // The soft limit sends SIGXCPU; the hard one, 10 s later, SIGKILL (which a soft limit equal
  // to the hard one would send at once).
  const std::string limits = "ulimit -c 0; ulimit -H -t " + std::to_string(kCpuSeconds + 10) + "; ulimit -S -t " +
                             std::to_string(kCpuSeconds) + "; exec timeout -k 10 " +
                             std::to_string(kWallClockSeconds) + " ";
  return ttt::testing::run_command_line(ttt::testing::check_command_line(TTT_HARNESS_EXECUTABLE, args), limits);
}

nlohmann::json expected_messages() {
  std::ifstream in(kRoot / "expected.json");
  if (!in) return nlohmann::json::object();
  return nlohmann::json::parse(in);
}

std::vector<std::string> corpus_files() {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(kCorpus, error)) {
    if (entry.is_regular_file() && entry.path().extension() == ".h5") {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

// What the tool prints for `file` under this test's limits.
std::string expected_cli_message(const std::string& file) {
  const nlohmann::json expected = expected_messages();
  if (!expected.contains(file)) return "";
  const std::string message = expected.at(file).get<std::string>();
  if (message.rfind(kHung, 0) == 0) {
    return "the HDF5 library crashed reading this file (signal " + std::to_string(SIGXCPU);
  }
  return message;
}

std::string test_name(const std::string& file) {
  std::string name = file;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

// Exit 0, 1 or 2 (not 124 from timeout(1), not 128 + a signal, not a sanitizer's exit 1
// with no summary line), and the summary line last.
void expect_orderly_end(const CliRun& run) {
  static const std::regex summary(R"(\d+ passed, \d+ failed, \d+ skipped)");
  EXPECT_TRUE(run.exit_code >= 0 && run.exit_code <= 2) << "crashed or hung\n" << run.output();
  ASSERT_FALSE(run.lines.empty()) << run.output();
  EXPECT_TRUE(std::regex_match(run.last(), summary)) << run.output();
}

class CliCorpus : public ::testing::TestWithParam<std::string> {};

// One file alone: one ERROR line naming it, with the expected message; exit 2.
TEST_P(CliCorpus, IsOneErrorLineAndExit2) {
  const std::string expected = expected_cli_message(GetParam());
  ASSERT_FALSE(expected.empty()) << GetParam() << " is not in expected.json";
  const std::string path = (kCorpus / GetParam()).string();
  const CliRun run = check({path});
  expect_orderly_end(run);
  EXPECT_EQ(run.exit_code, 2) << run.output();
  const auto errors = run.starting_with("ERROR ");
  ASSERT_EQ(errors.size(), 1u) << run.output();
  const std::string prefix = "ERROR " + path + ": ";
  ASSERT_EQ(errors[0].rfind(prefix, 0), 0u) << "expected the line to start with " << prefix << "\n" << run.output();
  EXPECT_NE(errors[0].find(expected, prefix.size()), std::string::npos)
      << "line: " << errors[0] << "\nexpected to contain: " << expected;
  EXPECT_TRUE(run.starting_with("PASS ").empty() && run.starting_with("FAIL ").empty() &&
              run.starting_with("SKIP ").empty())
      << run.output();
  EXPECT_EQ(run.starting_with("1 unusable file(s) (ERROR)").size(), 1u) << run.output();
  EXPECT_EQ(run.last(), "0 passed, 0 failed, 0 skipped") << run.output();
}

INSTANTIATE_TEST_SUITE_P(Corpus, CliCorpus, ::testing::ValuesIn(corpus_files()),
                         [](const auto& info) { return test_name(info.param); });

// The whole folder and then a good fixture in one run: every bad file has its ERROR line,
// in order, and the good fixture, read after every crash and hang of the reader, PASSes.
TEST(CliCorpusRun, WholeFolderThenAGoodFixture) {
  const std::vector<std::string> files = corpus_files();
  ASSERT_FALSE(files.empty()) << "run suites/badinput/make_corpus.py";
  const CliRun run = check({kCorpus.string(), kGood.string()});
  expect_orderly_end(run);
  EXPECT_EQ(run.exit_code, 2) << run.output();
  const auto errors = run.starting_with("ERROR ");
  ASSERT_EQ(errors.size(), files.size()) << run.output();
  for (size_t i = 0; i < files.size(); ++i) {
    // The folder's files come in name order, each once.
    const std::string prefix = "ERROR " + (kCorpus / files[i]).string() + ": ";
    EXPECT_EQ(errors[i].rfind(prefix, 0), 0u) << "line " << i << ": " << errors[i] << "\nexpected " << prefix;
    EXPECT_NE(errors[i].find(expected_cli_message(files[i]), prefix.size()), std::string::npos)
        << "line: " << errors[i] << "\nexpected to contain: " << expected_cli_message(files[i]);
  }
  EXPECT_EQ(run.starting_with("PASS " + kGoodCase + " ").size(), 1u) << run.output();
  EXPECT_TRUE(run.starting_with("FAIL ").empty()) << run.output();
  EXPECT_EQ(run.starting_with(std::to_string(files.size()) + " unusable file(s) (ERROR)").size(), 1u)
      << run.output();
  EXPECT_EQ(run.last(), "1 passed, 0 failed, 0 skipped") << run.output();
}

// Exit status: 1 when a case failed and every input was usable; 2 as soon as one was not.
TEST(CliCorpusRun, FailedCaseWithoutUnusableInputExits1) {
  const CliRun run = check({kGood.string(), kFailing.string()});
  expect_orderly_end(run);
  EXPECT_EQ(run.exit_code, 1) << run.output();
  EXPECT_TRUE(run.starting_with("ERROR ").empty()) << run.output();
  EXPECT_EQ(run.starting_with("FAIL " + kFailingCase + " ").size(), 1u) << run.output();
  EXPECT_EQ(run.last(), "1 passed, 1 failed, 0 skipped") << run.output();
}

TEST(CliCorpusRun, UnusableInputWinsOverAFailedCase) {
  const fs::path crash = kCorpus / "hdf5_heap_object_size_segv.h5";
  ASSERT_TRUE(fs::exists(crash));
  const CliRun run = check({kFailing.string(), crash.string(), kGood.string()});
  expect_orderly_end(run);
  EXPECT_EQ(run.exit_code, 2) << run.output();
  EXPECT_EQ(run.starting_with("FAIL " + kFailingCase + " ").size(), 1u) << run.output();
  EXPECT_EQ(run.starting_with("ERROR " + crash.string() + ": ").size(), 1u) << run.output();
  EXPECT_EQ(run.starting_with("PASS " + kGoodCase + " ").size(), 1u) << run.output();
  EXPECT_EQ(run.last(), "1 passed, 1 failed, 0 skipped") << run.output();
}

TEST(CliCorpusRun, ReadTimeoutEndsAHangingFileSooner) {
  // --read-timeout bounds the child's read by wall clock, well before the CPU limit above.
  const fs::path hang = kCorpus / "hdf5_heap_free_space_hang.h5";
  ASSERT_TRUE(fs::exists(hang));
  const CliRun run = check({"--read-timeout", "2", hang.string(), kGood.string()});
  expect_orderly_end(run);
  EXPECT_EQ(run.exit_code, 2) << run.output();
  EXPECT_EQ(run.starting_with("ERROR " + hang.string() + ": the HDF5 library did not finish reading this file within 2 s")
                .size(),
            1u)
      << run.output();
  EXPECT_EQ(run.starting_with("PASS " + kGoodCase + " ").size(), 1u) << run.output();
}

// ---- values stored outside the fixture file, made at test time with real outside data ----
//
// The committed corpus holds these layouts pointing at files that need not exist. Here the
// outside data is real and at an absolute path, and HDF5 reads it correctly (checked below),
// so a reader that followed the layout would PASS the case on bytes its manifest does not
// cover. The tool must refuse each one before reading, and still judge the good fixtures.

// Opens `path` read-write for the duration of `edit`; throws on any HDF5 failure.
void edit_h5(const fs::path& path, const std::function<void(hid_t)>& edit) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  if (file < 0) throw std::runtime_error("cannot open " + path.string());
  edit(file);
  H5Fclose(file);
}

std::vector<double> read_doubles(hid_t file, const char* name, std::vector<hsize_t>& dims) {
  const hid_t dataset = H5Dopen2(file, name, H5P_DEFAULT);
  const hid_t space = H5Dget_space(dataset);
  dims.assign(static_cast<size_t>(H5Sget_simple_extent_ndims(space)), 0);
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  std::vector<double> values(static_cast<size_t>(H5Sget_simple_extent_npoints(space)));
  if (H5Dread(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0) values.clear();
  H5Sclose(space);
  H5Dclose(dataset);
  return values;
}

// Replaces the good fixture's /outputs/output (in a copy at `out`) by a dataset created with
// `dcpl` whose values come from outside; returns the original values.
std::vector<double> move_output_out(const fs::path& out, const std::function<hid_t(const std::vector<double>&,
                                                                                   const std::vector<hsize_t>&)>& dcpl_for) {
  fs::copy_file(kGood, out, fs::copy_options::overwrite_existing);
  std::vector<double> values;
  edit_h5(out, [&](hid_t file) {
    std::vector<hsize_t> dims;
    values = read_doubles(file, "/outputs/output", dims);
    H5Ldelete(file, "/outputs/output", H5P_DEFAULT);
    const hid_t dcpl = dcpl_for(values, dims);
    const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    const hid_t dataset = H5Dcreate2(file, "/outputs/output", H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (dataset < 0) throw std::runtime_error("cannot create the outside-data dataset in " + out.string());
    H5Dclose(dataset);
    H5Sclose(space);
    H5Pclose(dcpl);
  });
  return values;
}

// HDF5 itself reads the outside values back exactly: the layout works, so only the reader's
// refusal stands between it and a verdict.
void expect_hdf5_follows(const fs::path& file, const std::vector<double>& values) {
  std::vector<double> read;
  edit_h5(file, [&](hid_t f) {
    std::vector<hsize_t> dims;
    read = read_doubles(f, "/outputs/output", dims);
  });
  EXPECT_EQ(read, values) << file << ": HDF5 does not read the outside data back";
}

class OutsideData : public ::testing::Test {
 protected:
  // Runs the file alone and among good fixtures: one ERROR line naming the dataset and
  // `layout`, exit 2, the good ones still PASS.
  void expect_refused(const fs::path& file, const std::string& layout) {
    const CliRun alone = check({"--no-manifest", file.string()});
    expect_orderly_end(alone);
    EXPECT_EQ(alone.exit_code, 2) << alone.output();
    const auto errors = alone.starting_with("ERROR " + file.string() + ": dataset /outputs/output: " + layout);
    EXPECT_EQ(errors.size(), 1u) << alone.output();
    EXPECT_EQ(alone.last(), "0 passed, 0 failed, 0 skipped") << alone.output();

    const CliRun among = check({"--no-manifest", kGood.string(), file.string(), kGood.string()});
    expect_orderly_end(among);
    EXPECT_EQ(among.exit_code, 2) << among.output();
    EXPECT_EQ(among.starting_with("ERROR " + file.string() + ": ").size(), 1u) << among.output();
    EXPECT_EQ(among.starting_with("PASS " + kGoodCase + " ").size(), 2u) << among.output();
  }
  ttt::testing::TempDir scratch_{"outside"};
  const fs::path& dir_ = scratch_.path();
};

TEST_F(OutsideData, ExternalRawStorageIsRefused) {
  const fs::path bin = dir_ / "output.bin";
  const fs::path file = dir_ / "external.h5";
  const auto values = move_output_out(file, [&](const std::vector<double>& v, const std::vector<hsize_t>&) {
    std::ofstream(bin, std::ios::binary).write(reinterpret_cast<const char*>(v.data()),
                                               static_cast<std::streamsize>(v.size() * sizeof(double)));
    const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_external(dcpl, bin.c_str(), 0, v.size() * sizeof(double));
    return dcpl;
  });
  expect_hdf5_follows(file, values);
  expect_refused(file, "external raw storage (1 outside file(s), the first \"" + bin.string() + "\")");
}

TEST_F(OutsideData, VirtualDatasetOfAnotherFileIsRefused) {
  const fs::path source = dir_ / "source.h5";
  const fs::path file = dir_ / "virtual.h5";
  const auto values = move_output_out(file, [&](const std::vector<double>& v, const std::vector<hsize_t>& dims) {
    const hid_t src = H5Fcreate(source.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    const hid_t data = H5Dcreate2(src, "/data", H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(data, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
    H5Dclose(data);
    H5Fclose(src);
    const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_virtual(dcpl, space, source.c_str(), "/data", space);
    H5Sclose(space);
    return dcpl;
  });
  expect_hdf5_follows(file, values);
  expect_refused(file, "virtual dataset (layout H5D_VIRTUAL, 1 mapping(s), the first from \"" + source.string() + "\")");
}

}  // namespace
