// The files a report is assembled from: ctest's JUnit XML (with labels from ctest's JSON),
// the long suite's series and bench/run's figures. Good files fold in field by field; a bad
// one is refused with the file and the field named.
#include "report_test_support.h"
#include "ttt_paths.h"

#include <reports/report_html.h>
#include <reports/report_inputs.h>
#include <reports/report_junit.h>

#include <gtest/gtest.h>

#include <fstream>

namespace ttt::testing {
namespace {

using harness::ReportInputError;
using nlohmann::json;

// What ctest 3.25 writes with --output-junit for a pass, a GoogleTest failure, a
// SKIP_REGULAR_EXPRESSION skip and a timeout.
constexpr const char* kCtestJunit = R"xml(<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="(empty)" tests="4" failures="2" disabled="0" skipped="1" hostname="" time="3" timestamp="2026-11-23T16:10:56">
  <testcase name="Golden.Passes" classname="Golden.Passes" time="0.25" status="run">
    <system-out>[ RUN      ] Golden.Passes
[       OK ] Golden.Passes (250 ms)
</system-out>
  </testcase>
  <testcase name="Long.Fails" classname="Long.Fails" time="1.5" status="fail">
    <failure message=""/>
    <system-out>[ RUN      ] Long.Fails
long_test.cpp:40: Failure
Expected: (err) &lt;= (bound), actual: 3e-4 vs 1e-4
[  FAILED  ] Long.Fails (1500 ms)
</system-out>
  </testcase>
  <testcase name="Device.Skips" classname="Device.Skips" time="0.01" status="notrun">
    <skipped message="SKIP_REGULAR_EXPRESSION_MATCHED"/>
    <system-out>[ RUN      ] Device.Skips
device_test.cpp:12: Skipped
no CUDA device
[  SKIPPED ] Device.Skips (0 ms)
</system-out>
  </testcase>
  <testcase name="Long.TimesOut" classname="Long.TimesOut" time="900" status="fail">
    <failure message=""/>
    <system-out></system-out>
  </testcase>
</testsuite>
)xml";

constexpr const char* kCtestTests = R"json({"kind": "ctestInfo", "version": {"major": 1, "minor": 0}, "tests": [
  {"name": "Golden.Passes", "properties": [{"name": "LABELS", "value": ["golden"]}]},
  {"name": "Long.Fails", "properties": [{"name": "WORKING_DIRECTORY", "value": "/x"}, {"name": "LABELS", "value": ["long", "cpu"]}]},
  {"name": "Device.Skips", "properties": [{"name": "LABELS", "value": ["gpu"]}]},
  {"name": "Long.TimesOut"}]})json";

json test_named(const json& section, const std::string& name) {
  for (const auto& t : section["tests"]) {
    if (t["name"] == name) return t;
  }
  return nullptr;
}

TEST(ReportJunit, EveryTestWithStatusLabelsTimeAndWhy) {
  const auto folder = test_folder();
  write_text(folder + "/junit.xml", kCtestJunit);
  write_text(folder + "/tests.json", kCtestTests);
  const auto section = harness::suites_section(folder + "/junit.xml", folder + "/tests.json");
  EXPECT_EQ(section["summary"]["passed"], 1);
  EXPECT_EQ(section["summary"]["failed"], 2);
  EXPECT_EQ(section["summary"]["skipped"], 1);
  EXPECT_EQ(section["tests"].size(), 4u);

  const auto passes = test_named(section, "Golden.Passes");
  EXPECT_EQ(passes["status"], "pass");
  EXPECT_EQ(passes["labels"], json({"golden"}));
  EXPECT_DOUBLE_EQ(passes["seconds"].get<double>(), 0.25);
  EXPECT_EQ(passes["message"], "");

  const auto fails = test_named(section, "Long.Fails");
  EXPECT_EQ(fails["status"], "fail");
  EXPECT_EQ(fails["labels"], json({"long", "cpu"}));
  EXPECT_EQ(fails["message"], "long_test.cpp:40: Failure\nExpected: (err) <= (bound), actual: 3e-4 vs 1e-4");

  const auto skips = test_named(section, "Device.Skips");
  EXPECT_EQ(skips["status"], "skip");
  EXPECT_EQ(skips["message"], "device_test.cpp:12: Skipped\nno CUDA device");

  const auto timeout = test_named(section, "Long.TimesOut");
  EXPECT_EQ(timeout["status"], "fail");
  EXPECT_NE(timeout["message"].get<std::string>().find("no output"), std::string::npos);
  EXPECT_EQ(timeout["labels"], json::array());

  // The section passes the same validation a saved report gets.
  EXPECT_NO_THROW(harness::validate_suites(section, {"x", "/suites"}));
}

TEST(ReportJunit, WithoutTheLabelsFileTestsHaveNoLabels) {
  const auto folder = test_folder();
  write_text(folder + "/junit.xml", kCtestJunit);
  const auto section = harness::suites_section(folder + "/junit.xml");
  EXPECT_EQ(test_named(section, "Long.Fails")["labels"], json::array());
  EXPECT_TRUE(section["labels_source"].is_null());
}

TEST(ReportJunit, UnusableFilesAreRefusedNamingTheFile) {
  const auto folder = test_folder();
  write_text(folder + "/truncated.xml", std::string(kCtestJunit).substr(0, 400));
  write_text(folder + "/html.xml", "<html><body>not junit</body></html>");
  write_text(folder + "/junit.xml", kCtestJunit);
  write_text(folder + "/tests.json", R"({"tests": [{"name": 3}]})");
  const auto message = [](auto&& call) {
    try {
      call();
    } catch (const ReportInputError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_EQ(message([&] { harness::suites_section(folder + "/absent.xml"); }),
            folder + "/absent.xml: cannot read the file (missing or not readable)");
  EXPECT_NE(message([&] { harness::suites_section(folder + "/truncated.xml"); }).find(folder + "/truncated.xml: not valid XML"),
            std::string::npos);
  EXPECT_EQ(message([&] { harness::suites_section(folder + "/html.xml"); }),
            folder + "/html.xml: not JUnit XML: the root element is <html>, expected <testsuite> or <testsuites>");
  EXPECT_EQ(message([&] { harness::suites_section(folder + "/junit.xml", folder + "/tests.json"); }),
            folder + "/tests.json: /tests/0/name: expected a string, found number");
}

TEST(ReportInputs, LongSeriesFoldInAndBadOnesAreRefused) {
  const auto folder = test_folder();
  const auto good = synthetic_report()["long_sequence"];
  write_json(folder + "/long.json", good);
  const auto section = harness::long_series_section(folder + "/long.json");
  EXPECT_EQ(section["series"].size(), 2u);
  EXPECT_EQ(section["source"], folder + "/long.json");
  EXPECT_TRUE(section["series"][1]["max_abs_err"][253].is_null());  // a non-finite point survives as null

  auto uneven = good;
  uneven["series"][1]["positions"].erase(0);
  write_json(folder + "/uneven.json", uneven);
  EXPECT_THROW(
      {
        try {
          harness::long_series_section(folder + "/uneven.json");
        } catch (const ReportInputError& e) {
          EXPECT_STREQ(e.what(), (folder + "/uneven.json: /series/1: 255 positions but 256 max_abs_err values").c_str());
          throw;
        }
      },
      ReportInputError);

  auto newer = good;
  newer["schema_version"] = 2;
  write_json(folder + "/newer.json", newer);
  EXPECT_THROW(harness::long_series_section(folder + "/newer.json"), ReportInputError);
  auto text_error = good;
  text_error["series"][0]["max_abs_err"][3] = "NaN";
  write_json(folder + "/text.json", text_error);
  EXPECT_THROW(harness::long_series_section(folder + "/text.json"), ReportInputError);
}

TEST(ReportInputs, BenchmarksFoldInAndBadOnesAreRefused) {
  const auto folder = test_folder();
  const auto good = synthetic_report()["benchmarks"];
  write_json(folder + "/bench.json", good);
  EXPECT_EQ(harness::benchmarks_section(folder + "/bench.json")["results"].size(), 5u);
  auto other_impl = good;
  other_impl["results"][1]["impl"] = "jax";
  write_json(folder + "/impl.json", other_impl);
  try {
    harness::benchmarks_section(folder + "/impl.json");
    ADD_FAILURE() << "an unknown impl was accepted";
  } catch (const ReportInputError& e) {
    EXPECT_STREQ(e.what(), (folder + "/impl.json: /results/1/impl: expected \"cpp\" or \"reference\", found \"jax\"").c_str());
  }
  auto bad_target = good;
  bad_target["targets"][0]["met"] = "yes";
  write_json(folder + "/target.json", bad_target);
  try {
    harness::benchmarks_section(folder + "/target.json");
    ADD_FAILURE() << "a target whose verdict is text was accepted";
  } catch (const ReportInputError& e) {
    EXPECT_STREQ(e.what(), (folder + "/target.json: /targets/0/met: expected true or false, found string").c_str());
  }
  auto no_figure = good;
  no_figure["results"][0].erase("tokens_per_s");
  write_json(folder + "/missing.json", no_figure);
  EXPECT_THROW(harness::benchmarks_section(folder + "/missing.json"), ReportInputError);
}

TEST(ReportHtml, DataCannotCloseItsScriptElement) {
  json report = {{"case", harness::json_for_script_element(json::object())}, {"text", "</script><!-- & >"}};
  const auto text = harness::json_for_script_element(report);
  EXPECT_EQ(text.find('<'), std::string::npos) << text;
  EXPECT_EQ(text.find('>'), std::string::npos) << text;
  EXPECT_EQ(json::parse(text), report);  // the \u escapes mean the same strings
  // Invalid UTF-8 from an input file is replaced, not a thrown exception.
  EXPECT_NO_THROW(harness::json_for_script_element(json{{"message", std::string("bad \xff byte")}}));
}

TEST(ReportCommands, UnusableSourceFilesStopCheckAndReportWithExitTwo) {
  const auto folder = test_folder();
  write_text(folder + "/broken.xml", "<testsuite><testcase name='x'>");
  const auto check = run_harness("check " + quote(TTT_FIXTURES_DIR) + " --junit " + quote(folder + "/broken.xml"));
  EXPECT_EQ(check.exit_code, 2) << check.output;
  EXPECT_NE(check.output.find("ERROR " + folder + "/broken.xml: not valid XML"), std::string::npos) << check.output;

  write_json(folder + "/report.json", synthetic_report());
  const auto report = run_harness("report --from " + quote(folder + "/report.json") + " --html " +
                                  quote(folder + "/page.html") + " --bench " + quote(folder + "/absent.json"));
  EXPECT_EQ(report.exit_code, 2) << report.output;
  EXPECT_NE(report.output.find(folder + "/absent.json: cannot read the file"), std::string::npos) << report.output;
  EXPECT_FALSE(std::ifstream(folder + "/page.html").good()) << "a page was written from unusable input";
}

}  // namespace
}  // namespace ttt::testing
