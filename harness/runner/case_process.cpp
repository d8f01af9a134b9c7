#include <harness/runner/case_process.h>

#include <reports/report_json.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

extern char** environ;

namespace fs = std::filesystem;

namespace ttt::harness {
namespace {

nlohmann::json error_case(const std::string& file, const std::string& message) {
  CaseResult r;
  r.file = file;
  r.status = Status::Error;
  r.message = message;
  return case_json(r);
}

std::string self_executable() {
  std::error_code ec;
  const auto self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("--isolate: cannot find this program (/proc/self/exe): " + ec.message());
  return self.string();
}

// A private folder for one child's report and log, removed when it goes out of scope.
class ScratchFolder {
 public:
  ScratchFolder() {
    std::random_device random;
    for (int attempt = 0; attempt < 100; ++attempt) {
      path_ = fs::temp_directory_path() / ("ttt-isolate-" + std::to_string(::getpid()) + "-" +
                                           std::to_string(random()));
      if (fs::create_directory(path_)) return;
    }
    throw std::runtime_error("--isolate: cannot make a folder under " + fs::temp_directory_path().string());
  }
  ~ScratchFolder() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// The last `count` non-empty lines of a log, joined by " | ", each cut at 300 characters.
std::string last_lines(const fs::path& log, int count) {
  std::ifstream in(log);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line.substr(0, 300));
  }
  std::string joined;
  for (std::size_t i = lines.size() > static_cast<std::size_t>(count) ? lines.size() - count : 0; i < lines.size(); ++i) {
    joined += (joined.empty() ? "" : " | ") + lines[i];
  }
  return joined.empty() ? "(nothing)" : joined;
}

// Waits for the child until the deadline; false (after killing it) when it ran past it.
bool wait_with_deadline(pid_t pid, std::chrono::steady_clock::time_point deadline, int& status) {
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) return true;
    if (done < 0 && errno != EINTR) {
      status = -1;
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

nlohmann::json run_case_in_child(const std::string& file, const CaseProcessOptions& options) {
  const ScratchFolder scratch;
  const auto report_path = scratch.path() / "case.json";
  const auto log_path = scratch.path() / "case.log";
  std::vector<std::string> args = {self_executable(), "check", file, "--no-manifest",
                                   "--device", options.device,
                                   "--threads", std::to_string(options.threads),
                                   "--read-timeout", std::to_string(options.read_timeout_seconds),
                                   "--json", report_path.string()};
  if (!options.filter.empty()) args.insert(args.end(), {"--filter", options.filter});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    return nlohmann::json::array({error_case(file, "--isolate: cannot start a process for this case: " +
                                                       std::string(std::strerror(spawned)))});
  }

  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(options.timeout_seconds);
  const bool finished = wait_with_deadline(pid, deadline, status);
  const std::string output = "; its last output: " + last_lines(log_path, 3);
  if (!finished) {
    return nlohmann::json::array({error_case(
        file, "the case did not finish within " + std::to_string(options.timeout_seconds) +
                  " s in its own process (--case-timeout) and was killed; the other cases still ran" + output)});
  }
  if (WIFSIGNALED(status)) {
    const int signal = WTERMSIG(status);
    return nlohmann::json::array({error_case(
        file, "the layer crashed running this case in its own process (signal " + std::to_string(signal) + ", " +
                  ::strsignal(signal) + "); the other cases still ran" + output)});
  }
  // Exit 0, 1 or 2 with a report: the child's verdict, whatever it was.
  std::ifstream in(report_path);
  nlohmann::json report = in ? nlohmann::json::parse(in, nullptr, false) : nlohmann::json();
  if (report.is_object() && report.contains("cases") && report["cases"].is_array()) return report["cases"];
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return nlohmann::json::array({error_case(
      file, "the process that ran this case ended with exit status " + std::to_string(code) +
                " and wrote no report; the other cases still ran" + output)});
}

}  // namespace ttt::harness
