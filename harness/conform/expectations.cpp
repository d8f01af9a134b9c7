#include <harness/conform/expectations.h>

#include <fstream>
#include <stdexcept>

namespace ttt::conform {

Expectations Expectations::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("--expectations " + path + ": cannot read the file");
  Expectations expectations;
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    const auto end = line.find_first_of(" \t", first);
    Entry entry;
    entry.expression = line.substr(first, end == std::string::npos ? std::string::npos : end - first);
    if (end != std::string::npos) {
      const auto reason = line.find_first_not_of(" \t", end);
      if (reason != std::string::npos) entry.reason = line.substr(reason);
      while (!entry.reason.empty() && (entry.reason.back() == '\r' || entry.reason.back() == ' ')) entry.reason.pop_back();
    }
    entry.where = path + ":" + std::to_string(number);
    try {
      entry.pattern = std::regex(entry.expression);
    } catch (const std::regex_error& e) {
      throw std::invalid_argument("--expectations " + entry.where + ": \"" + entry.expression +
                                  "\" is not a regular expression (" + e.what() + ")");
    }
    if (entry.reason.empty()) {
      throw std::invalid_argument("--expectations " + entry.where + ": \"" + entry.expression +
                                  "\" gives no reason (write why after the expression)");
    }
    expectations.entries_.push_back(std::move(entry));
  }
  return expectations;
}

void Expectations::apply(harness::CaseResult& result) {
  // What did not run here (SKIP) or could not be used (an input's ERROR) is neither a known
  // failure nor a pass.
  if (result.status == harness::Status::Skip ||
      (result.status == harness::Status::Error && result.error_source == harness::ErrorSource::Input)) {
    return;
  }
  for (auto& entry : entries_) {
    if (std::regex_match(result.case_id, entry.pattern)) {
      entry.used = true;
      result.expected_failure = entry.where + ": " + entry.reason;
      return;
    }
  }
}

std::vector<std::string> Expectations::unused() const {
  std::vector<std::string> out;
  for (const auto& entry : entries_) {
    if (!entry.used) out.push_back(entry.where + ": " + entry.expression + " matches no case");
  }
  return out;
}

}  // namespace ttt::conform
