#include <ports/process/process_port.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

namespace fs = std::filesystem;

namespace ttt::ports {
namespace {

wire::Deadline deadline_in(int seconds) { return wire::Clock::now() + std::chrono::seconds(seconds); }

wire::Message request(const std::string& op) {
  wire::Message m;
  m.header["op"] = op;
  return m;
}

// An answer's optional members, read by type: what a port got wrong reads as absent.
std::string text(const nlohmann::json& header, const char* key) {
  const auto it = header.find(key);
  return it != header.end() && it->is_string() ? it->get<std::string>() : std::string();
}
bool flag(const nlohmann::json& header, const char* key) {
  const auto it = header.find(key);
  return it != header.end() && it->is_boolean() && it->get<bool>();
}
nlohmann::json object_member(const nlohmann::json& header, const char* key) {
  const auto it = header.find(key);
  return it != header.end() && it->is_object() ? *it : nlohmann::json::object();
}

// The most telling of what a process printed during a call: a line of Python's fault handler
// ("Fatal Python error: Segmentation fault") when there is one, else its last line.
std::string telling_line(const std::string& lines) {
  const auto fatal = lines.find("Fatal Python error");
  if (fatal != std::string::npos) return lines.substr(fatal, lines.find(" | ", fatal) - fatal);
  const auto last = lines.rfind(" | ");
  return last == std::string::npos ? lines : lines.substr(last + 3);
}

// The ports' processes alive now, so that a harness stopped by a signal (Ctrl-C, a CI job's
// kill, a Slurm time limit) takes them with it: each leads its own process group and would
// otherwise outlive the harness, a hung one for ever. Plain ints: read in a signal handler.
constexpr int kMaxChildren = 64;
volatile sig_atomic_t g_children[kMaxChildren] = {};

void end_children_and_die(int signal) {
  for (int i = 0; i < kMaxChildren; ++i) {
    if (g_children[i] > 0) ::kill(-g_children[i], SIGKILL);
  }
  ::signal(signal, SIG_DFL);
  ::raise(signal);
}

}  // namespace

void ProcessPort::remember_child(pid_t pid) {
  for (int i = 0; i < kMaxChildren; ++i) {
    if (g_children[i] == 0) {
      g_children[i] = pid;
      return;
    }
  }
}

void ProcessPort::forget_child(pid_t pid) {
  for (int i = 0; i < kMaxChildren; ++i) {
    if (g_children[i] == pid) g_children[i] = 0;
  }
}

ProcessPort::ProcessPort(ProcessPortOptions options) : options_(std::move(options)) {
  // A port that dies while the harness writes to it must be an error to report, not a SIGPIPE
  // that ends the harness.
  ::signal(SIGPIPE, SIG_IGN);
  for (const int signal : {SIGINT, SIGTERM, SIGHUP}) ::signal(signal, end_children_and_die);
}

ProcessPort::~ProcessPort() { stop(); }

std::string ProcessPort::output_since_call() const {
  if (!scratch_) return "(nothing)";
  return last_lines(scratch_->path() / "port.log", 40, log_mark_);
}

void ProcessPort::start() {
  scratch_ = std::make_unique<ScratchFolder>("ttt-port");
  int in_pipe[2], out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) {
    throw PortFailure(PortFailure::Kind::CannotStart, "cannot make a pipe: " + std::string(std::strerror(errno)));
  }
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    ::close(in_pipe[0]);
    ::close(in_pipe[1]);
    throw PortFailure(PortFailure::Kind::CannotStart, "cannot make a pipe: " + std::string(std::strerror(errno)));
  }
  // The harness's end of the port's input does not block: a large request to a port that
  // stops reading waits in poll() against the call's deadline, not in write() forever.
  ::fcntl(in_pipe[1], F_SETFL, ::fcntl(in_pipe[1], F_GETFL) | O_NONBLOCK);
  ChildStreams streams;
  streams.stdin_fd = in_pipe[0];
  streams.stdout_fd = out_pipe[1];
  streams.log_file = (scratch_->path() / "port.log").string();
  streams.own_process_group = true;
  // A port is asked for the harness's thread count (the Python driver and port-server honour
  // it): fixture-sized work gains nothing from more, and two processes spinning OpenMP threads
  // on a shared CI machine's cores collapse.
  streams.extra_environment = {{"PYTHONDONTWRITEBYTECODE", "1"},
                               {"PYTHONUNBUFFERED", "1"},
                               {"TTT_PORT_THREADS", std::to_string(options_.threads)}};
  try {
    pid_ = spawn_child(options_.argv, streams);
    remember_child(pid_);
  } catch (const std::exception& e) {
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1]}) ::close(fd);
    throw PortFailure(PortFailure::Kind::CannotStart, options_.spec + ": " + e.what());
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  to_port_ = in_pipe[1];
  from_port_ = out_pipe[0];
  channel_ = std::make_unique<wire::Channel>(from_port_, to_port_);
  if (starts_++ > 0) ++restarts_;
  auto hello = request("hello");
  hello.header["protocol"] = wire::kProtocolVersion;
  wire::Message answer;
  try {
    answer = call("hello", hello, options_.start_timeout_seconds);
  } catch (const PortFailure& e) {
    stop();
    throw PortFailure(PortFailure::Kind::CannotStart, std::string("cannot start: ") + e.what());
  }
  const auto protocol = answer.header.find("protocol");
  if (protocol == answer.header.end() || !protocol->is_number_integer() || *protocol != wire::kProtocolVersion) {
    stop();
    throw PortFailure(PortFailure::Kind::CannotStart,
                      "cannot start: it speaks protocol " +
                          (protocol == answer.header.end() ? std::string("(none)") : protocol->dump()) +
                          ", this harness speaks " + std::to_string(wire::kProtocolVersion));
  }
  PortIdentity id;
  id.name = text(answer.header, "name");
  id.version = text(answer.header, "version");
  id.environment = object_member(answer.header, "environment");
  id.cuda_available = flag(answer.header, "cuda_available");
  if (id.name.empty()) id.name = options_.spec;
  identity_ = id;
}

std::string ProcessPort::end_process(int grace_ms) {
  if (pid_ < 0) return "";
  if (to_port_ >= 0) ::close(to_port_);  // end of its input: a well-behaved server leaves
  to_port_ = -1;
  // Wait for it to end without reaping it (its pid, the group's id, stays reserved), then end
  // whatever it started (it leads its own process group), then reap it.
  for (int waited = 0; waited < grace_ms; waited += 20) {
    siginfo_t info{};
    if (::waitid(P_PID, pid_, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid_) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  forget_child(pid_);
  if (from_port_ >= 0) ::close(from_port_);
  from_port_ = -1;
  channel_.reset();
  pid_ = -1;
  return describe_exit(status);
}

void ProcessPort::stop() {
  if (pid_ < 0) return;
  try {
    channel_->write(request("bye"), deadline_in(2));
  } catch (const std::exception&) {
    // Already gone, or not listening: it is killed below.
  }
  end_process(2000);
}

void ProcessPort::fail(PortFailure::Kind kind, const std::string& op, const std::string& what) {
  const auto output = output_since_call();
  // After a failure the process is gone; the next call starts a fresh one (not so for hello:
  // a port that cannot start is not started again).
  const std::string again = op == "hello" ? "" : "; it is started afresh for what follows";
  std::string message;
  switch (kind) {
    case PortFailure::Kind::TimedOut:
      end_process(0);
      message = "the port did not answer " + op + " within " + what + " s" +
                (op == "hello" ? " of starting" : " (--timeout)") + " and was killed" + again;
      break;
    case PortFailure::Kind::Crashed:
      // Its output closed: it is ending, or ended; up to 2 s to learn how.
      message = "the port's process ended during " + op + " (" + end_process(2000) + ")" + again;
      break;
    case PortFailure::Kind::Protocol:
      end_process(0);
      message = "the port broke the protocol during " + op + ": " + what + "; it was killed" + again;
      break;
    default:
      message = what;
      break;
  }
  if (output != "(nothing)") message += "; its last output: " + telling_line(output);
  throw PortFailure(kind, message);
}

wire::Message ProcessPort::call(const std::string& op, wire::Message message, int timeout_seconds) {
  if (pid_ < 0) start();
  std::error_code ec;
  log_mark_ = fs::file_size(scratch_->path() / "port.log", ec);
  if (ec) log_mark_ = 0;
  const auto deadline = deadline_in(timeout_seconds);
  wire::Message answer;
  try {
    channel_->write(message, deadline);
    answer = channel_->read(deadline);
  } catch (const wire::ChannelTimeout&) {
    fail(PortFailure::Kind::TimedOut, op, std::to_string(timeout_seconds));
  } catch (const wire::ChannelClosed& e) {
    fail(PortFailure::Kind::Crashed, op, e.what());
  } catch (const wire::ProtocolError& e) {
    fail(PortFailure::Kind::Protocol, op, e.what());
  } catch (const std::exception& e) {  // anything else an answer did to the reader
    fail(PortFailure::Kind::Protocol, op, e.what());
  }
  const auto ok = answer.header.find("ok");
  if (ok == answer.header.end() || !ok->is_boolean()) {
    fail(PortFailure::Kind::Protocol, op, "an answer without \"ok\": true or false");
  }
  if (*ok) return answer;
  const auto kind = text(answer.header, "kind");
  auto error = text(answer.header, "error");
  if (error.empty()) error = "(the port gave no error text)";
  if (kind == "not_supported") throw PortFailure(PortFailure::Kind::NotSupported, error);
  throw PortFailure(PortFailure::Kind::Raised, "the port raised during " + op + ": " + error);
}

PortIdentity ProcessPort::identity() {
  if (pid_ < 0) start();
  return *identity_;
}

BuiltLayer ProcessPort::build(const LayerSpec& spec) {
  auto m = request("build");
  m.header["layer_type"] = spec.layer_type;
  m.header["config"] = spec.config;
  m.header["device"] = spec.device;
  m.header["dtype"] = wire::dtype_name(spec.dtype);
  for (const auto& [name, tensor] : spec.params) m.tensors.emplace_back(name, tensor);
  const auto answer = call("build", std::move(m), options_.timeout_seconds);
  BuiltLayer built;
  const auto capabilities = object_member(answer.header, "capabilities");
  built.use_rope_toggle = flag(capabilities, "use_rope_toggle");
  built.streaming = flag(capabilities, "streaming");
  built.gradients = flag(capabilities, "gradients");
  const auto devices = object_member(answer.header, "tensor_devices");
  for (const auto& [name, device] : devices.items()) {
    built.tensor_devices[name] = device.is_string() ? device.get<std::string>() : device.dump();
  }
  return built;
}

Output ProcessPort::forward(const torch::Tensor& hidden_states, const torch::Tensor& position_ids) {
  auto m = request("forward");
  m.tensors = {{"hidden_states", hidden_states}, {"position_ids", position_ids}};
  const auto answer = call("forward", std::move(m), options_.timeout_seconds);
  try {
    return {answer.tensor("output"), text(answer.header, "device")};
  } catch (const wire::ProtocolError& e) {
    fail(PortFailure::Kind::Protocol, "forward", e.what());
  }
}

void ProcessPort::set_use_rope(bool on) {
  auto m = request("set_use_rope");
  m.header["value"] = on;
  call("set_use_rope", std::move(m), options_.timeout_seconds);
}

void ProcessPort::stream_begin(int64_t batch_size) {
  auto m = request("stream_begin");
  m.header["batch_size"] = batch_size;
  call("stream_begin", std::move(m), options_.timeout_seconds);
}

StreamOutput ProcessPort::stream(const torch::Tensor& hidden_states, const torch::Tensor& position_ids) {
  auto m = request("stream");
  m.tensors = {{"hidden_states", hidden_states}, {"position_ids", position_ids}};
  const auto answer = call("stream", std::move(m), options_.timeout_seconds);
  StreamOutput out;
  try {
    out.output = {answer.tensor("output"), text(answer.header, "device")};
  } catch (const wire::ProtocolError& e) {
    fail(PortFailure::Kind::Protocol, "stream", e.what());
  }
  out.state_offered = flag(answer.header, "state_offered");
  for (const auto& [name, tensor] : answer.tensors) {
    if (name.rfind("state/", 0) == 0) out.state[name.substr(6)] = tensor;
  }
  return out;
}

Tensors ProcessPort::gradients(const torch::Tensor& hidden_states, const torch::Tensor& position_ids,
                               const torch::Tensor& grad_output) {
  auto m = request("gradients");
  m.tensors = {{"hidden_states", hidden_states}, {"position_ids", position_ids}, {"grad_output", grad_output}};
  const auto answer = call("gradients", std::move(m), options_.timeout_seconds);
  Tensors grads;
  for (const auto& [name, tensor] : answer.tensors) {
    if (name.rfind("grad/", 0) == 0) grads[name.substr(5)] = tensor;
  }
  return grads;
}

}  // namespace ttt::ports
