#include "suites/support/check.h"

namespace ttt::checks {

CheckResult pass(std::string detail) { return {true, false, std::move(detail)}; }
CheckResult fail(std::string detail) { return {false, false, std::move(detail)}; }
CheckResult skip(std::string reason) { return {false, true, std::move(reason)}; }

const std::vector<Check>& all_checks() {
  static const std::vector<Check> checks = [] {
    std::vector<Check> all;
    for (auto&& part : {golden_checks(), modulo_checks(), bf16_checks(), device_checks(), rope_checks(),
                        long_checks(), decode_checks()}) {
      all.insert(all.end(), part.begin(), part.end());
    }
    return all;
  }();
  return checks;
}

std::vector<Check> checks_of(const std::string& suite, bool cuda) {
  std::vector<Check> selected;
  for (const auto& check : all_checks()) {
    if (check.suite == suite && check.needs_cuda == cuda) selected.push_back(check);
  }
  return selected;
}

CheckResult run_check(const Check& check, const Factory& factory) {
  try {
    return check.run(factory);
  } catch (const c10::Error& e) {
    return fail(std::string("the layer threw: ") + e.what_without_backtrace());
  } catch (const std::exception& e) {
    return fail(std::string("threw: ") + e.what());
  }
}

}  // namespace ttt::checks
