#pragma once
// The process protocol's messages (docs/PORTS.md, "The protocol"): one line of JSON, the
// header, then the raw bytes of the tensors the header lists, in its order. Tensors cross
// without any text encoding: little-endian, row-major, bfloat16 as its 16-bit patterns.
//
//   {"op": "forward", "tensors": [{"name": "hidden_states", "dtype": "float64", "shape": [2, 64, 32]},
//                                 {"name": "position_ids", "dtype": "int64", "shape": [1, 64]}]}\n
//   <2*64*32*8 bytes><64*8 bytes>
//
// A Channel moves the bytes over a pair of file descriptors with a deadline, so that a port
// that stops answering is a timeout, not a hang of the harness.

#include <ports/port.h>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ttt::ports::wire {

constexpr int kProtocolVersion = 1;
// Limits a reader holds a message to before allocating anything: a header line, one tensor.
constexpr std::size_t kMaxHeaderBytes = std::size_t{16} << 20;
constexpr std::size_t kMaxTensorBytes = std::size_t{4} << 30;
constexpr int kMaxHeaderDepth = 64;

using Clock = std::chrono::steady_clock;
using Deadline = std::optional<Clock::time_point>;  // nullopt: wait as long as it takes

// A message that is not one: bad JSON, a bad tensor entry, a truncated payload. what() says
// which and what was found.
class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// The other end closed its side (a process that ended).
class ChannelClosed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// The deadline passed before the message was complete.
class ChannelTimeout : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Message {
  nlohmann::json header = nlohmann::json::object();  // without "tensors"
  std::vector<std::pair<std::string, torch::Tensor>> tensors;  // CPU, in wire order

  // The tensor of that name (ProtocolError naming the message's op and the name if absent).
  const torch::Tensor& tensor(const std::string& name) const;
  bool has(const std::string& name) const;
};

// The dtypes that cross: those of the fixture contract.
std::string dtype_name(torch::ScalarType type);  // "float64", "float32", "bfloat16", "int64"
torch::ScalarType dtype_from(const std::string& name);  // ProtocolError for any other

class Channel {
 public:
  // Reads from `in`, writes to `out`; does not own them.
  Channel(int in, int out) : in_(in), out_(out) {}

  void write(const Message& message, Deadline deadline = std::nullopt);
  Message read(Deadline deadline = std::nullopt);

 private:
  void write_bytes(const char* data, std::size_t size, Deadline deadline);
  // Fills the buffer with at least one more byte.
  void fill(Deadline deadline);
  std::string read_line(Deadline deadline);
  void read_exact(char* data, std::size_t size, Deadline deadline);

  int in_, out_;
  std::string buffer_;  // read, not yet consumed
  std::size_t consumed_ = 0;
};

}  // namespace ttt::ports::wire
