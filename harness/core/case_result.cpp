#include <harness/core/case_result.h>

namespace ttt::harness {

const char* to_string(Status status) {
  switch (status) {
    case Status::Pass: return "PASS";
    case Status::Fail: return "FAIL";
    case Status::Skip: return "SKIP";
    case Status::Error: return "ERROR";
  }
  return "ERROR";
}

const Comparison* CaseResult::decisive() const {
  for (const auto& c : comparisons) {
    if (!c.passed) return &c;
  }
  // A passing RoPE table is reported in the message, not as the case's figure: the line
  // shows how close the golden tensors came to their bound.
  const auto closest = [&](bool tables) {
    const Comparison* best = nullptr;
    for (const auto& c : comparisons) {
      if ((c.tensor.rfind("rope_", 0) == 0) != tables) continue;
      if (best == nullptr || c.margin() > best->margin()) best = &c;
    }
    return best;
  };
  const auto* golden = closest(false);
  return golden != nullptr ? golden : closest(true);
}

std::string CaseResult::line() const {
  if (status == Status::Error) return std::string("ERROR ") + file + ": " + message;
  std::string out = std::string(to_string(status)) + " " + case_id;
  if (status == Status::Skip) return out + " " + message;
  if (const auto* c = decisive()) out += " " + c->tensor + " " + c->summary();
  if (!message.empty()) out += " " + message;
  return out;
}

void decide(CaseResult& result) {
  result.status = Status::Pass;
  for (const auto& c : result.comparisons) {
    if (!c.passed) result.status = Status::Fail;
  }
}

}  // namespace ttt::harness
