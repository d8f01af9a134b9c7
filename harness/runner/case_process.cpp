#include <harness/runner/case_process.h>

#include <ports/process/subprocess.h>
#include <reports/report_json.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <thread>

namespace ttt::harness {
namespace {

nlohmann::json error_case(const std::string& file, const std::string& message) {
  return case_json(error_result(file, message));
}

// One child process running one fixture.
struct Child {
  std::size_t index = 0;
  std::string file;
  pid_t pid = -1;
  std::unique_ptr<ports::ScratchFolder> scratch;
  std::chrono::steady_clock::time_point deadline;
};

// Starts `check FILE` in a child; pid -1 (and `error` set) when it cannot be started.
Child start_child(std::size_t index, const std::string& file, const CaseProcessOptions& options, std::string& error) {
  Child child;
  child.index = index;
  child.file = file;
  child.scratch = std::make_unique<ports::ScratchFolder>("ttt-isolate");
  const auto report_path = child.scratch->path() / "case.json";
  const auto log_path = child.scratch->path() / "case.log";
  std::vector<std::string> args = {ports::self_executable(), "check", file, "--no-manifest",
                                   "--device", options.device,
                                   "--threads", std::to_string(options.threads),
                                   "--read-timeout", std::to_string(options.read_timeout_seconds),
                                   "--json", report_path.string()};
  if (!options.filter.empty()) args.insert(args.end(), {"--filter", options.filter});
  ports::ChildStreams streams;
  streams.log_file = log_path.string();  // its output and errors, for the ERROR line of a crash
  try {
    child.pid = ports::spawn_child(args, streams);
  } catch (const std::exception& e) {
    child.pid = -1;
    error = std::string("--isolate: cannot start a process for this case: ") + e.what();
  }
  child.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(options.timeout_seconds);
  return child;
}

// What an ended child leaves: its report's cases, or one ERROR case saying how it ended.
nlohmann::json outcome(const Child& child, bool finished, int status, int timeout_seconds) {
  const std::string output = "; its last output: " + ports::last_lines(child.scratch->path() / "case.log", 3);
  if (!finished) {
    return nlohmann::json::array({error_case(
        child.file, "the case did not finish within " + std::to_string(timeout_seconds) +
                        " s in its own process (--case-timeout) and was killed; the other cases still ran" + output)});
  }
  if (WIFSIGNALED(status)) {
    return nlohmann::json::array({error_case(child.file, "the layer crashed running this case in its own process (" +
                                                             ports::describe_exit(status) +
                                                             "); the other cases still ran" + output)});
  }
  // Exit 0, 1 or 2 with a report: the child's verdict, whatever it was.
  std::ifstream in(child.scratch->path() / "case.json");
  nlohmann::json report = in ? nlohmann::json::parse(in, nullptr, false) : nlohmann::json();
  if (report.is_object() && report.contains("cases") && report["cases"].is_array()) return report["cases"];
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return nlohmann::json::array({error_case(
      child.file, "the process that ran this case ended with exit status " + std::to_string(code) +
                      " and wrote no report; the other cases still ran" + output)});
}

}  // namespace

void run_cases_in_children(const std::vector<std::string>& files, const CaseProcessOptions& options,
                           const std::function<void(std::size_t, const nlohmann::json&)>& done) {
  const std::size_t jobs = static_cast<std::size_t>(std::max(1, options.jobs));
  std::vector<std::optional<nlohmann::json>> results(files.size());
  std::vector<Child> running;
  std::size_t next_start = 0, next_done = 0;
  while (next_done < files.size()) {
    bool progressed = false;
    while (running.size() < jobs && next_start < files.size()) {
      std::string error;
      auto child = start_child(next_start, files[next_start], options, error);
      if (child.pid < 0) {
        results[next_start] = nlohmann::json::array({error_case(files[next_start], error)});
      } else {
        running.push_back(std::move(child));
      }
      ++next_start;
      progressed = true;
    }
    for (auto it = running.begin(); it != running.end();) {
      int status = 0;
      const pid_t ended = ::waitpid(it->pid, &status, WNOHANG);
      bool finished = true;
      if (ended == 0) {
        if (std::chrono::steady_clock::now() < it->deadline) {
          ++it;
          continue;
        }
        ::kill(it->pid, SIGKILL);
        while (::waitpid(it->pid, &status, 0) < 0 && errno == EINTR) {
        }
        finished = false;
      } else if (ended < 0 && errno == EINTR) {
        ++it;
        continue;
      }
      results[it->index] = outcome(*it, finished, status, options.timeout_seconds);
      it = running.erase(it);
      progressed = true;
    }
    // In the order of `files`, whichever child ended first.
    while (next_done < files.size() && results[next_done]) {
      done(next_done, *results[next_done]);
      results[next_done].reset();
      ++next_done;
      progressed = true;
    }
    if (!progressed) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace ttt::harness
