#include <harness/conform/unit.h>

#include <ports/port.h>

#include <harness/fixture/fixture.h>

#include <chrono>

namespace ttt::conform {

harness::CaseResult run_unit(harness::CaseResult result, const std::function<void(harness::CaseResult&)>& body) {
  using harness::Status;
  const auto start = std::chrono::steady_clock::now();
  const auto port_error = [&](const std::string& message) {
    result.status = Status::Error;
    result.error_source = harness::ErrorSource::Port;
    result.message = message;
  };
  try {
    body(result);
  } catch (const ports::PortFailure& e) {
    if (e.kind() == ports::PortFailure::Kind::NotSupported) {
      result.status = Status::NotSupported;
      result.message = std::string("the port does not offer this: ") + e.what();
    } else {
      port_error(e.what());
    }
  } catch (const harness::FixtureError& e) {
    result.status = Status::Error;
    result.error_source = harness::ErrorSource::Input;
    result.message = e.what();
  } catch (const std::exception& e) {
    // The port's answer could not be judged (a tensor of a shape or dtype nothing could use);
    // a c10::Error's first line is its message, before the backtrace.
    const std::string what = e.what();
    port_error("the port's answer could not be judged: " + what.substr(0, what.find('\n')));
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace ttt::conform
