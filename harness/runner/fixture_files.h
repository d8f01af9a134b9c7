#pragma once
// The fixture files a command is given: folders searched, each file trusted by its folder's
// MANIFEST.json (docs/FIXTURES.md section 9.5). Shared by check, conform and judge.

#include <reports/verdict.h>

#include <harness/fixture/manifest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ttt::harness {

// The .h5 files under `paths` (folders searched recursively, sorted), plus an ERROR result
// for every path that does not exist or holds no fixture.
std::vector<std::string> collect_fixture_files(const std::vector<std::string>& paths,
                                               std::vector<CaseResult>& errors);

// Manifests are read once per folder; a malformed one makes every file of its folder unusable.
class ManifestCache {
 public:
  // Empty when the file may be trusted; otherwise why not. Sets `how` to what was checked.
  std::string verify(const std::string& file, std::string& how);

 private:
  struct Entry {
    std::optional<Manifest> manifest;
    std::string error;
  };
  std::map<std::string, Entry> cache_;
};

}  // namespace ttt::harness
