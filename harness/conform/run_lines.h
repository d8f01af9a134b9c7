#pragma once
// What `conform` and `judge` share around their verdicts: which lines the caller selected
// (--filter, --exclude), the port's known failures (--expectations), printing each line as it
// is decided, the fixtures given (folders searched, manifests checked, files read), and at the
// end the summary, the reports and the exit status (0 nothing failed, 1 a case or check failed,
// 2 an unusable input).

#include <harness/conform/expectations.h>

#include <harness/fixture/fixture.h>
#include <reports/verdict.h>

#include <nlohmann/json.hpp>

#include <functional>
#include <iosfwd>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace ttt::conform {

struct LineOptions {
  std::string filter, exclude;    // regular expressions on the line id
  std::string expectations_path;  // the port's known failures
  std::string json_path, html_path;
  std::string device = "cpu";
  bool no_manifest = false;
  bool allow_empty = false;       // a selection of no line exits 0, not 2
};

class RunLines {
 public:
  // Throws std::invalid_argument naming the option for a bad expression or expectations file.
  RunLines(const LineOptions& options, std::ostream& out);

  // Whether the caller selected line `id`; counts the selected ones.
  bool selected(const std::string& id);
  // Applies the expectations, prints the line, keeps it for the report.
  void record(harness::CaseResult result);
  // Every fixture under `paths` that its manifest trusts and that can be read, in the files'
  // order; the others are ERROR lines (inputs). `run` gets the fixture and how it was trusted.
  void for_each_fixture(const std::vector<std::string>& paths,
                        const std::function<void(const harness::Fixture&, const std::string&)>& run);

  // The summary lines and the reports (`port` is the report's port section, `extra` more
  // top-level sections); returns the exit status, 2 when nothing was selected (naming what
  // there was: `of_what`) or `forced` when it is not 0.
  int finish(const nlohmann::json& port, const nlohmann::json& extra, const std::vector<std::string>& command,
             const std::string& of_what, int forced = 0);

 private:
  LineOptions options_;
  std::ostream& out_;
  std::optional<std::regex> filter_, exclude_;
  Expectations expectations_;
  nlohmann::json cases_ = nlohmann::json::array();
  int selected_ = 0;
};

}  // namespace ttt::conform
