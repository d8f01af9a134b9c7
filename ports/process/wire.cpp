#include <ports/process/wire.h>

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

namespace ttt::ports::wire {
namespace {

// Milliseconds left until the deadline, for poll(): -1 (forever) without one.
int poll_timeout(Deadline deadline) {
  if (!deadline) return -1;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, std::numeric_limits<int>::max()));
}

// Waits until `fd` is ready for `events`; ChannelTimeout when the deadline passes first.
void wait_for(int fd, short events, Deadline deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int ready = ::poll(&p, 1, poll_timeout(deadline));
    if (ready > 0) return;
    if (ready == 0) throw ChannelTimeout("no answer before the deadline");
    if (errno != EINTR) throw ChannelClosed(std::string("poll failed: ") + std::strerror(errno));
  }
}

std::size_t element_size(torch::ScalarType type) { return c10::elementSize(type); }

std::string describe(const nlohmann::json& value) {
  auto text = value.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
  return text.size() > 120 ? text.substr(0, 117) + "..." : text;
}

}  // namespace

std::string dtype_name(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat64: return "float64";
    case torch::kFloat32: return "float32";
    case torch::kBFloat16: return "bfloat16";
    case torch::kInt64: return "int64";
    default: break;
  }
  throw ProtocolError(std::string("a tensor of dtype ") + c10::toString(type) +
                      " cannot cross the protocol (float64, float32, bfloat16, int64)");
}

torch::ScalarType dtype_from(const std::string& name) {
  if (name == "float64") return torch::kFloat64;
  if (name == "float32") return torch::kFloat32;
  if (name == "bfloat16") return torch::kBFloat16;
  if (name == "int64") return torch::kInt64;
  throw ProtocolError("unknown tensor dtype \"" + name + "\" (expected float64, float32, bfloat16 or int64)");
}

const torch::Tensor& Message::tensor(const std::string& name) const {
  for (const auto& [n, t] : tensors) {
    if (n == name) return t;
  }
  throw ProtocolError("the message" + (header.contains("op") ? " " + describe(header["op"]) : std::string()) +
                      " carries no tensor \"" + name + "\"");
}

bool Message::has(const std::string& name) const {
  for (const auto& entry : tensors) {
    if (entry.first == name) return true;
  }
  return false;
}

void Channel::write(const Message& message, Deadline deadline) {
  auto header = message.header;
  auto entries = nlohmann::json::array();
  std::vector<torch::Tensor> payloads;
  for (const auto& [name, tensor] : message.tensors) {
    const auto cpu = tensor.detach().to(torch::kCPU).contiguous();
    entries.push_back({{"name", name}, {"dtype", dtype_name(cpu.scalar_type())}, {"shape", cpu.sizes().vec()}});
    payloads.push_back(cpu);
  }
  header["tensors"] = entries;
  const auto line = header.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  write_bytes(line.data(), line.size(), deadline);
  for (const auto& t : payloads) {
    write_bytes(static_cast<const char*>(t.data_ptr()), t.numel() * element_size(t.scalar_type()), deadline);
  }
}

Message Channel::read(Deadline deadline) {
  const auto line = read_line(deadline);
  Message message;
  // A header nested deeper than any message is (a hostile port's) is refused before copying or
  // printing it could recurse that deep.
  const nlohmann::json::parser_callback_t shallow = [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (depth > kMaxHeaderDepth) throw ProtocolError("a header nested deeper than " + std::to_string(kMaxHeaderDepth));
    return true;
  };
  auto header = nlohmann::json::parse(line, shallow, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object()) {
    throw ProtocolError("expected a JSON object on one line, found \"" +
                        (line.size() > 120 ? line.substr(0, 117) + "..." : line) + "\"");
  }
  nlohmann::json entries = nlohmann::json::array();
  if (const auto it = header.find("tensors"); it != header.end()) {
    if (!it->is_array()) throw ProtocolError("\"tensors\": expected an array, found " + describe(*it));
    entries = *it;
    header.erase("tensors");
  }
  message.header = std::move(header);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    const auto where = "\"tensors\"[" + std::to_string(i) + "]";
    if (!e.is_object() || !e.contains("name") || !e["name"].is_string() || !e.contains("dtype") ||
        !e["dtype"].is_string() || !e.contains("shape") || !e["shape"].is_array()) {
      throw ProtocolError(where + ": expected {\"name\": string, \"dtype\": string, \"shape\": [int, ...]}, found " +
                          describe(e));
    }
    const auto type = dtype_from(e["dtype"].get<std::string>());
    std::vector<int64_t> shape;
    std::size_t bytes = element_size(type);
    for (const auto& d : e["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0) {
        throw ProtocolError(where + ": shape: expected non-negative integers, found " + describe(e["shape"]));
      }
      const auto n = d.get<int64_t>();
      shape.push_back(n);
      if (n != 0 && bytes > kMaxTensorBytes / static_cast<std::size_t>(n)) {
        throw ProtocolError(where + ": shape " + describe(e["shape"]) + " is over the " +
                            std::to_string(kMaxTensorBytes >> 30) + " GiB a tensor may have");
      }
      bytes *= static_cast<std::size_t>(n);
    }
    torch::Tensor tensor;
    try {
      tensor = torch::empty(shape, torch::dtype(type));
    } catch (const std::exception& error) {
      const std::string what = error.what();
      throw ProtocolError(where + ": shape " + describe(e["shape"]) + " cannot be allocated: " +
                          what.substr(0, what.find('\n')));
    }
    read_exact(static_cast<char*>(tensor.data_ptr()), tensor.numel() * element_size(type), deadline);
    message.tensors.emplace_back(e["name"].get<std::string>(), std::move(tensor));
  }
  return message;
}

void Channel::write_bytes(const char* data, std::size_t size, Deadline deadline) {
  while (size > 0) {
    wait_for(out_, POLLOUT, deadline);
    const auto n = ::write(out_, data, size);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw ChannelClosed(std::string("the other end stopped reading: ") + std::strerror(errno));
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

void Channel::fill(Deadline deadline) {
  if (consumed_ > 0) {  // drop what was consumed, so a long message does not pile up
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  char chunk[65536];
  for (;;) {
    wait_for(in_, POLLIN, deadline);
    const auto n = ::read(in_, chunk, sizeof chunk);
    if (n > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(n));
      return;
    }
    if (n == 0) throw ChannelClosed("the other end closed its output");
    if (errno != EINTR && errno != EAGAIN) throw ChannelClosed(std::string("read failed: ") + std::strerror(errno));
  }
}

std::string Channel::read_line(Deadline deadline) {
  for (;;) {
    const auto end = buffer_.find('\n', consumed_);
    if (end != std::string::npos) {
      auto line = buffer_.substr(consumed_, end - consumed_);
      consumed_ = end + 1;
      return line;
    }
    if (buffer_.size() - consumed_ > kMaxHeaderBytes) {
      throw ProtocolError("a header line of more than " + std::to_string(kMaxHeaderBytes >> 20) +
                          " MiB without a newline, starting \"" + buffer_.substr(consumed_, 80) + "\"");
    }
    fill(deadline);
  }
}

void Channel::read_exact(char* data, std::size_t size, Deadline deadline) {
  while (size > 0) {
    if (consumed_ == buffer_.size()) {
      try {
        fill(deadline);
      } catch (const ChannelClosed&) {
        throw ChannelClosed("the other end closed its output " + std::to_string(size) +
                            " bytes short of the tensors its header lists");
      }
    }
    const auto n = std::min(size, buffer_.size() - consumed_);
    std::memcpy(data, buffer_.data() + consumed_, n);
    consumed_ += n;
    data += n;
    size -= n;
  }
}

}  // namespace ttt::ports::wire
