#pragma once
// A port in a process of its own, driven through the process protocol (wire.h, docs/PORTS.md):
// the Python driver for `python:` ports, any program for `exec:` ports, and this repository's
// own layer (`ttt-harness port-server`) for `cpp`. The port is someone else's code: it may
// raise, crash, hang, print or break the protocol. Every call has a deadline; a port that
// crashes, hangs past it or answers garbage is killed (its whole process group) and the call
// throws PortFailure saying which, with the port's own last lines; the next call starts a
// fresh process. A Python exception comes back as PortFailure::Kind::Raised and the process
// goes on.

#include <ports/port.h>
#include <ports/process/subprocess.h>
#include <ports/process/wire.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ttt::ports {

struct ProcessPortOptions {
  std::string spec;               // as the user gave it (python:..., exec:..., cpp), for messages
  std::vector<std::string> argv;  // the program that serves the protocol, and its arguments
  int timeout_seconds = 300;      // one call: a build, a forward, a stream call, a backward
  int start_timeout_seconds = 120;  // starting the program up to its answer to hello
  int threads = 1;  // TTT_PORT_THREADS for the port: the intra-op threads it is asked to use
};

class ProcessPort : public Port {
 public:
  explicit ProcessPort(ProcessPortOptions options);
  ~ProcessPort() override;

  // Starts the program if it is not running; PortFailure::Kind::CannotStart if it cannot.
  PortIdentity identity() override;
  BuiltLayer build(const LayerSpec& spec) override;
  Output forward(const torch::Tensor& hidden_states, const torch::Tensor& position_ids) override;
  void set_use_rope(bool on) override;
  void stream_begin(int64_t batch_size) override;
  StreamOutput stream(const torch::Tensor& hidden_states, const torch::Tensor& position_ids) override;
  Tensors gradients(const torch::Tensor& hidden_states, const torch::Tensor& position_ids,
                    const torch::Tensor& grad_output) override;

  // How many times the program was started again after a failure.
  int restarts() const { return restarts_; }
  const ProcessPortOptions& options() const { return options_; }

 private:
  // Sends `request`, waits for its answer until the call's deadline, returns an ok answer;
  // every other outcome throws PortFailure.
  wire::Message call(const std::string& op, wire::Message request, int timeout_seconds);
  void start();
  // Asks the process to leave (bye), then ends it.
  void stop();
  // Closes its input, waits up to `grace_ms` for it to end by itself, kills its process group,
  // reaps it; returns how it ended ("signal 11, Segmentation fault").
  std::string end_process(int grace_ms);
  [[noreturn]] void fail(PortFailure::Kind kind, const std::string& op, const std::string& what);
  std::string output_since_call() const;
  static void remember_child(pid_t pid);
  static void forget_child(pid_t pid);

  ProcessPortOptions options_;
  std::unique_ptr<ScratchFolder> scratch_;
  pid_t pid_ = -1;
  int to_port_ = -1, from_port_ = -1;
  std::unique_ptr<wire::Channel> channel_;
  std::optional<PortIdentity> identity_;
  std::uintmax_t log_mark_ = 0;  // the log's size when the current call began
  int starts_ = 0, restarts_ = 0;
};

}  // namespace ttt::ports
