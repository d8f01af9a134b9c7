#include <ports/process/port_server.h>

#include <ports/process/wire.h>

#include <unistd.h>

#include <iostream>

namespace ttt::ports {
namespace {

wire::Message ok() {
  wire::Message m;
  m.header["ok"] = true;
  return m;
}

wire::Message refusal(const std::string& kind, const std::string& what) {
  wire::Message m;
  m.header["ok"] = false;
  m.header["kind"] = kind;
  m.header["error"] = what.substr(0, what.find('\n'));
  return m;
}

std::string text(const nlohmann::json& header, const char* key) {
  const auto it = header.find(key);
  if (it == header.end() || !it->is_string()) {
    throw wire::ProtocolError(std::string("the request has no string \"") + key + "\"");
  }
  return it->get<std::string>();
}

wire::Message answer(Port& port, const wire::Message& request) {
  const auto op = text(request.header, "op");
  if (op == "hello") {
    const auto id = port.identity();
    auto m = ok();
    m.header["protocol"] = wire::kProtocolVersion;
    m.header["name"] = id.name;
    m.header["version"] = id.version;
    m.header["environment"] = id.environment;
    m.header["cuda_available"] = id.cuda_available;
    return m;
  }
  if (op == "build") {
    LayerSpec spec;
    spec.layer_type = text(request.header, "layer_type");
    spec.config = request.header.value("config", nlohmann::json::object());
    spec.device = text(request.header, "device");
    spec.dtype = wire::dtype_from(text(request.header, "dtype"));
    spec.source = "the build request";
    for (const auto& [name, tensor] : request.tensors) spec.params[name] = tensor;
    const auto built = port.build(spec);
    auto m = ok();
    m.header["capabilities"] = {{"use_rope_toggle", built.use_rope_toggle},
                                {"streaming", built.streaming},
                                {"gradients", built.gradients}};
    m.header["tensor_devices"] = built.tensor_devices;
    return m;
  }
  if (op == "forward") {
    const auto out = port.forward(request.tensor("hidden_states"), request.tensor("position_ids"));
    auto m = ok();
    m.header["device"] = out.device;
    m.tensors.emplace_back("output", out.tensor);
    return m;
  }
  if (op == "set_use_rope") {
    const auto value = request.header.find("value");
    if (value == request.header.end() || !value->is_boolean()) {
      throw wire::ProtocolError("set_use_rope needs a boolean \"value\"");
    }
    port.set_use_rope(value->get<bool>());
    return ok();
  }
  if (op == "stream_begin") {
    port.stream_begin(request.header.value("batch_size", int64_t{0}));
    return ok();
  }
  if (op == "stream") {
    const auto out = port.stream(request.tensor("hidden_states"), request.tensor("position_ids"));
    auto m = ok();
    m.header["device"] = out.output.device;
    m.header["state_offered"] = out.state_offered;
    m.tensors.emplace_back("output", out.output.tensor);
    for (const auto& [name, tensor] : out.state) m.tensors.emplace_back("state/" + name, tensor);
    return m;
  }
  if (op == "gradients") {
    const auto grads =
        port.gradients(request.tensor("hidden_states"), request.tensor("position_ids"), request.tensor("grad_output"));
    auto m = ok();
    for (const auto& [name, tensor] : grads) m.tensors.emplace_back("grad/" + name, tensor);
    return m;
  }
  throw wire::ProtocolError("unknown op \"" + op + "\"");
}

}  // namespace

int serve(Port& port, int in, int out) {
  wire::Channel channel(in, out);
  for (;;) {
    wire::Message request;
    try {
      request = channel.read();
    } catch (const wire::ChannelClosed&) {
      return 0;  // the harness went away
    } catch (const std::exception& e) {
      std::cerr << "port-server: " << e.what() << std::endl;
      return 2;
    }
    if (request.header.value("op", std::string()) == "bye") {
      channel.write(ok());
      return 0;
    }
    wire::Message reply;
    try {
      reply = answer(port, request);
    } catch (const PortFailure& e) {
      reply = refusal(e.kind() == PortFailure::Kind::NotSupported ? "not_supported" : "exception", e.what());
    } catch (const wire::ProtocolError& e) {
      reply = refusal("bad_request", e.what());
    } catch (const c10::Error& e) {
      reply = refusal("exception", e.what_without_backtrace());
    } catch (const std::exception& e) {
      reply = refusal("exception", e.what());
    }
    try {
      // A reply that cannot be sent as it is (a tensor of a dtype the protocol has no name
      // for) is refused as a whole: nothing of it has been written yet.
      for (const auto& [name, tensor] : reply.tensors) (void)wire::dtype_name(tensor.scalar_type());
    } catch (const std::exception& e) {
      reply = refusal("exception", e.what());
    }
    try {
      channel.write(reply);
    } catch (const std::exception&) {
      return 0;  // the harness went away
    }
  }
}

int protocol_stdout() {
  const int protocol = ::dup(STDOUT_FILENO);
  ::dup2(STDERR_FILENO, STDOUT_FILENO);
  return protocol;
}

}  // namespace ttt::ports
