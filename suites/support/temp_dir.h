#pragma once
// A fresh, empty scratch folder for one test, removed with everything in it on destruction.
// Header-only: the torch-free suites and the ones that run the built binary use it too.

#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace ttt::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& tag = "scratch") {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("ttt-test-" + std::to_string(::getpid()) + "-" + tag + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace ttt::testing
