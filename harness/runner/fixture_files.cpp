#include <harness/runner/fixture_files.h>

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;

namespace ttt::harness {
namespace {

bool is_fixture_file(const fs::path& p) { return p.extension() == ".h5"; }

}  // namespace

std::vector<std::string> collect_fixture_files(const std::vector<std::string>& paths,
                                               std::vector<CaseResult>& errors) {
  std::vector<std::string> files;
  for (const auto& path : paths) {
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
      errors.push_back(error_result(path, "no such file or directory"));
      continue;
    }
    if (!fs::is_directory(status)) {
      if (fs::path(path).filename() == "MANIFEST.json") {  // the folder's list of checksums, given by mistake
        const auto folder = fs::path(path).parent_path().string();
        errors.push_back(error_result(path, "the folder's manifest, not a fixture: `ttt-harness check " +
                                                (folder.empty() ? "." : folder) + "` checks every file it lists"));
        continue;
      }
      files.push_back(path);
      continue;
    }
    std::vector<std::string> found;
    for (auto it = fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file(ec) && is_fixture_file(it->path())) found.push_back(it->path().string());
    }
    if (ec) errors.push_back(error_result(path, "cannot list folder: " + ec.message()));
    if (found.empty() && !ec) errors.push_back(error_result(path, "folder holds no .h5 fixture"));
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

std::string ManifestCache::verify(const std::string& file, std::string& how) {
  const auto folder = fs::path(file).parent_path().string();
  auto it = cache_.find(folder);
  if (it == cache_.end()) {
    Entry entry;
    try {
      entry.manifest = read_manifest(folder.empty() ? "." : folder);
    } catch (const std::exception& e) {
      entry.error = e.what();
    }
    it = cache_.emplace(folder, std::move(entry)).first;
  }
  if (!it->second.error.empty()) return it->second.error;
  if (!it->second.manifest) {
    how = "no manifest";
    return "";
  }
  how = "verified";
  return verify_against_manifest(*it->second.manifest, file);
}

}  // namespace ttt::harness
