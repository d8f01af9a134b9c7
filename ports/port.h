#pragma once
// The port interface: the narrow surface of a TTT layer implementation that the golden
// verdicts and the mission's property checks are written against (docs/PORTS.md). This
// repository's C++ layer is one implementation (layer_port.h); any other implementation,
// in any language, is reached through the process protocol (wire.h, process_port.h), of
// which the Python driver (ports/python/ttt_port_driver.py) is one server.
//
// Tensors cross this interface on the CPU: the harness hands a port CPU tensors in the dtype
// it asks for, the port moves them to its device, and hands its results back on the CPU with
// the device it held them on (the device-placement check reads that).

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>

namespace ttt::ports {

using Tensors = std::map<std::string, torch::Tensor>;

// What a port says about itself, for the report: its name, the version or commit it gives,
// and its environment (Python, torch, ...), as it reports them.
struct PortIdentity {
  std::string name;
  std::string version;
  nlohmann::json environment = nlohmann::json::object();
  bool cuda_available = false;  // whether the port's own runtime sees a CUDA device
};

// One layer to build: the fixture contract's config (docs/FIXTURES.md section 2) and layer
// type, where and in what dtype, and its parameters by upstream state_dict() names.
struct LayerSpec {
  std::string layer_type;  // "linear" | "mlp"
  nlohmann::json config;   // the contract's nine keys, and any other the fixture has
  std::string device = "cpu";
  torch::ScalarType dtype = torch::kFloat64;
  Tensors params;  // CPU tensors in `dtype`
  std::string source;  // where the parameters come from (a fixture file), for messages
};

// What a built layer offers, and where its tensors live.
struct BuiltLayer {
  bool use_rope_toggle = false;  // use_rope may be set on the live module
  bool streaming = false;        // calls that carry state between them (decode)
  bool gradients = false;        // backward through forward
  // Every parameter and buffer of the module: "cpu", "cuda:0", ...
  std::map<std::string, std::string> tensor_devices;
};

struct Output {
  torch::Tensor tensor;  // on the CPU
  std::string device;    // where the port held it
};

struct StreamOutput {
  Output output;
  // The stream's state after the call, named as the reference's TTTCache names it
  // (W1_states, W1_grad, ..., ttt_conv_q): comparable with a decode golden's /state. Empty
  // when the port keeps its state to itself (state_offered false).
  Tensors state;
  bool state_offered = false;
};

// Why a port call gave no result.
class PortFailure : public std::runtime_error {
 public:
  enum class Kind {
    NotSupported,  // the port does not offer this (no streaming, no use_rope toggle, ...)
    Raised,        // the port raised (a Python exception): what() is its own last error line
    Crashed,       // its process died (a signal, an exit)
    TimedOut,      // it did not answer in time and was killed
    Protocol,      // it answered with something that is not a protocol message
    CannotStart,   // it could not be started at all (named program, import, factory)
  };
  PortFailure(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

class Port {
 public:
  virtual ~Port() = default;

  virtual PortIdentity identity() = 0;
  // Builds the layer (replacing any earlier one), moves it to spec.device and spec.dtype, then
  // loads spec.params by their upstream names.
  virtual BuiltLayer build(const LayerSpec& spec) = 0;
  // hidden_states [B, L, C] in the layer's dtype; position_ids int64 [1 or B, L]. Without a
  // stream: one call, no state kept.
  virtual Output forward(const torch::Tensor& hidden_states, const torch::Tensor& position_ids) = 0;
  // Flips use_rope on the live module (NotSupported when it has no such switch).
  virtual void set_use_rope(bool on) = 0;
  // Starts a stream of calls that carry state from one to the next (decode), then one call of
  // it: positions continue the stream's (the caller passes them, cumulative).
  virtual void stream_begin(int64_t batch_size) = 0;
  virtual StreamOutput stream(const torch::Tensor& hidden_states, const torch::Tensor& position_ids) = 0;
  // The gradients of sum(forward(hidden_states) * grad_output) for every parameter (by its
  // name) and for the input ("hidden_states").
  virtual Tensors gradients(const torch::Tensor& hidden_states, const torch::Tensor& position_ids,
                            const torch::Tensor& grad_output) = 0;
};

}  // namespace ttt::ports
