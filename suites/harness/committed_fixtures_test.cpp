// Every committed fixture in fixtures/ loads, validates and matches fixtures/MANIFEST.json,
// and every manifest entry names a committed file with the same case id. The list is read
// when ctest discovers the tests, so new fixtures are picked up without a rebuild.
#include <harness/fixture/fixture.h>
#include <harness/fixture/manifest.h>

#include <gtest/gtest.h>

#include "ttt_paths.h"

#include <algorithm>
#include <filesystem>
#include <set>

namespace ttt::harness::testing {
namespace {

namespace fs = std::filesystem;

// Relative to fixtures/, sub-folders too (checkpoint/: the real-shape goldens, with their own
// MANIFEST.json).
std::vector<std::string> committed_fixtures() {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : fs::recursive_directory_iterator(TTT_FIXTURES_DIR, error)) {
    if (entry.path().extension() == ".h5") {
      names.push_back(fs::relative(entry.path(), TTT_FIXTURES_DIR).string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string test_name(const std::string& file) {
  std::string name = file;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

class CommittedFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(CommittedFixture, LoadsValidatesAndMatchesTheManifest) {
  const std::string path = std::string(TTT_FIXTURES_DIR) + "/" + GetParam();
  Fixture fixture;
  try {
    fixture = load_fixture(path);
  } catch (const FixtureError& e) {
    FAIL() << "ERROR " << e.file() << ": " << e.what();
  }
  EXPECT_NO_THROW(validate_fixture(fixture));
  const auto folder = fs::path(path).parent_path().string();
  const auto manifest = read_manifest(folder);
  ASSERT_TRUE(manifest.has_value()) << folder << " has .h5 files but no MANIFEST.json";
  EXPECT_EQ(verify_against_manifest(*manifest, path), "");
  auto entry = manifest->entries.find(fs::path(path).filename().string());
  if (entry != manifest->entries.end() && !entry->second.case_id.empty()) {
    EXPECT_EQ(entry->second.case_id, fixture.case_id);
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, CommittedFixture, ::testing::ValuesIn(committed_fixtures()),
                         [](const auto& info) { return test_name(info.param); });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CommittedFixture);

TEST(CommittedManifest, EveryEntryIsACommittedFile) {
  std::set<std::string> folders;
  for (const auto& name : committed_fixtures()) folders.insert((fs::path(TTT_FIXTURES_DIR) / name).parent_path().string());
  if (folders.empty()) GTEST_SKIP() << "no committed fixtures yet";
  for (const auto& folder : folders) {
    const auto manifest = read_manifest(folder);
    ASSERT_TRUE(manifest.has_value()) << folder << " has .h5 files but no MANIFEST.json";
    for (const auto& [file, entry] : manifest->entries) {
      EXPECT_TRUE(fs::is_regular_file(fs::path(folder) / file))
          << file << " is listed in " << manifest->path << " but not committed";
    }
  }
}

}  // namespace
}  // namespace ttt::harness::testing
