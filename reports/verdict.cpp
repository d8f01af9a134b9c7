#include <reports/verdict.h>

#include <cstdio>
#include <limits>
#include <sstream>
#include <vector>

namespace ttt::harness {

std::string Tolerance::describe() const {
  char buf[128];
  if (rule == Rule::Relative) {
    std::snprintf(buf, sizeof buf, "rel <= %.1e", bound);
  } else if (rule == Rule::Absolute) {
    std::snprintf(buf, sizeof buf, "abs <= %.1e = %g float32 ulps", bound, bound / kUnitRoundoffFloat32);
  } else if (rule == Rule::Units) {
    std::snprintf(buf, sizeof buf, "err/derived bound <= %g", bound);
  } else {
    std::snprintf(buf, sizeof buf, "err <= %g x ref_err + %.1e x max|f64|", multiple, floor);
  }
  return buf;
}

namespace {

double ratio(double err, double allowed) {
  if (allowed <= 0) return err > 0 ? std::numeric_limits<double>::infinity() : 0.0;
  return err / allowed;
}

struct Statistic {
  const char* name;
  double ratio;  // error / allowed
};

// The statistics a comparison was held to, in the order that wins a tie: the largest error,
// and under ReferenceError the RMS error and the worst row.
std::vector<Statistic> statistics(const Comparison& c) {
  std::vector<Statistic> all{{"max", ratio(c.max_abs_err, c.allowed)}};
  if (c.tolerance.rule == Tolerance::Rule::ReferenceError) {
    all.push_back({"rms", ratio(c.rms_err, c.rms_allowed)});
    all.push_back({"row", ratio(c.row_err, c.row_allowed)});
  }
  return all;
}

// The first statistic with the largest ratio.
Statistic deciding(const Comparison& c) {
  const auto all = statistics(c);
  Statistic worst = all.front();
  for (const auto& s : all) {
    if (s.ratio > worst.ratio) worst = s;
  }
  return worst;
}

}  // namespace

double Comparison::margin() const {
  if (nonfinite > 0 || !not_compared.empty()) return std::numeric_limits<double>::infinity();
  return deciding(*this).ratio;
}

const char* Comparison::deciding_statistic() const { return deciding(*this).name; }

std::string Comparison::summary() const {
  std::ostringstream out;
  char buf[160];
  if (!not_compared.empty()) return "not compared: " + not_compared;
  if (nonfinite > 0) {
    out << nonfinite << " NaN/inf in the computed tensor; ";
  }
  if (tolerance.rule == Tolerance::Rule::Absolute) {
    std::snprintf(buf, sizeof buf, "max_abs=%.3g = %.3g float32 ulps", max_abs_err, max_abs_err / kUnitRoundoffFloat32);
  } else if (tolerance.rule == Tolerance::Rule::Units) {
    std::snprintf(buf, sizeof buf, "max err/derived bound=%.3g", max_abs_err);
  } else {
    std::snprintf(buf, sizeof buf, "max_abs=%.3g rel=%.3g", max_abs_err, max_rel_err);
  }
  out << buf;
  if (tolerance.rule == Tolerance::Rule::ReferenceError) {
    std::snprintf(buf, sizeof buf, " ref_err=%.3g allowed=%.3g rms=%.3g/%.3g row=%.3g/%.3g", reference_err,
                  allowed, rms_err, rms_allowed, row_err, row_allowed);
    out << buf;
  }
  out << " (" << tolerance.describe() << ") worst=[";
  for (size_t i = 0; i < worst_index.size(); ++i) out << (i ? ", " : "") << worst_index[i];
  out << "]";
  return out.str();
}

const char* to_string(Comparison::Check check) {
  return check == Comparison::Check::WhiteBox ? "white_box" : "golden";
}

Comparison not_compared(const std::string& name, const std::string& why) {
  Comparison c;
  c.tensor = name;
  c.not_compared = why;
  c.passed = false;
  return c;
}

const char* to_string(Status status) {
  switch (status) {
    case Status::Pass: return "PASS";
    case Status::Fail: return "FAIL";
    case Status::Skip: return "SKIP";
    case Status::Error: return "ERROR";
    case Status::NotSupported: return "NOT_SUPPORTED";
  }
  return "ERROR";
}

const char* to_string(ErrorSource source) { return source == ErrorSource::Port ? "port" : "input"; }

const char* suite_test_spelling(Status status) {
  switch (status) {
    case Status::Pass: return "pass";
    case Status::Skip:
    case Status::NotSupported: return "skip";
    case Status::Fail:
    case Status::Error: return "fail";
  }
  return "fail";
}

std::optional<Status> case_status_from(const std::string& text) {
  for (const auto status : {Status::Pass, Status::Fail, Status::Skip, Status::Error, Status::NotSupported}) {
    if (text == to_string(status)) return status;
  }
  return std::nullopt;
}

std::optional<Status> suite_test_status_from(const std::string& text) {
  for (const auto status : {Status::Pass, Status::Fail, Status::Skip}) {
    if (text == suite_test_spelling(status)) return status;
  }
  return std::nullopt;
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

bool CaseResult::counts_as_failure() const {
  if (!expected_failure.empty()) return false;
  return status == Status::Fail || (status == Status::Error && error_source == ErrorSource::Port);
}

std::string CaseResult::line() const {
  const auto known = [&]() -> std::string {
    if (expected_failure.empty()) return "";
    return status == Status::Pass ? " (listed as a known failure, " + expected_failure + "; it passes now: remove the entry)"
                                  : " (known failure, " + expected_failure + ")";
  };
  // An input error names the file (or option) that could not be used; a port's error names the
  // case or check it broke.
  if (status == Status::Error) {
    const auto& subject = error_source == ErrorSource::Port && !case_id.empty() ? case_id : file;
    return std::string("ERROR ") + subject + ": " + message + known();
  }
  std::string out = std::string(to_string(status)) + " " + case_id;
  if (status == Status::Skip || status == Status::NotSupported) return out + " " + message + known();
  if (const auto* c = decisive()) out += " " + c->tensor + " " + c->summary();
  if (!message.empty()) out += " " + message;
  for (const auto& note : notes) out += " NOTE: " + note;
  return out + known();
}

void decide(CaseResult& result) {
  result.status = Status::Pass;
  for (const auto& c : result.comparisons) {
    if (!c.passed) result.status = Status::Fail;
  }
}

CaseResult error_result(const std::string& file, const std::string& message) {
  CaseResult r;
  r.file = file;
  r.status = Status::Error;
  r.message = message;
  return r;
}

}  // namespace ttt::harness
