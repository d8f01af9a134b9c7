#include <harness/core/sandbox.h>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

namespace ttt::harness {
namespace {

void write_all(int fd, const std::string& text) {
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    const auto n = ::write(fd, p, left);
    if (n <= 0) return;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace

IsolatedOutcome run_isolated(const std::function<std::string()>& work, int timeout_seconds) {
  int fds[2];
  if (::pipe(fds) != 0) return {false, std::string("cannot create a pipe: ") + std::strerror(errno)};
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return {false, std::string("cannot fork: ") + std::strerror(errno)};
  }
  if (pid == 0) {
    ::close(fds[0]);
    std::string message;
    try {
      message = work();
    } catch (const std::exception& e) {
      message = std::string("unexpected exception: ") + e.what();
    } catch (...) {
      message = "unexpected exception";
    }
    write_all(fds[1], message.empty() ? std::string("\x01") : message);
    ::close(fds[1]);
    ::_exit(0);  // no destructors, no atexit handlers of the parent's libraries
  }
  ::close(fds[1]);
  std::string received;
  bool timed_out = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd pfd{fds[0], POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      timed_out = ready == 0;
      break;
    }
    char buf[4096];
    const auto n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the child closed its end
    received.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) return {false, "timed out after " + std::to_string(timeout_seconds) + " s (killed)"};
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    return {false, std::string("the reader crashed (signal ") + std::to_string(sig) + ", " + ::strsignal(sig) + ")"};
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return {false, "the reader exited with status " + std::to_string(WEXITSTATUS(status))};
  }
  if (received == "\x01") return {true, ""};
  if (received.empty()) return {false, "the reader ended without a result"};
  return {false, received};
}

}  // namespace ttt::harness
