#pragma once
// The one rule every ttt-harness subcommand follows for bad usage (docs/CLI.md, "One rule for the
// command line"): the message names the word that was wrong and lists the valid ones, goes to stderr,
// and the exit status is 2 (unusable input). CLI11 parses; these turn its errors into that.

#include <CLI/CLI.hpp>

#include <iosfwd>
#include <string>

namespace ttt::harness {

// A --filter/--exclude value must compile as a (ECMAScript) regular expression; the message
// CLI11 prints then starts with the option's name.
CLI::Validator regular_expression();

// Writes the message for a parse error of `app` (argv as given) to `err`; returns the exit
// status: 0 for --help (CLI11 printed it), 2 for every usage error.
int report_usage_error(const CLI::App& app, const CLI::ParseError& error, int argc, char** argv, std::ostream& err);

}  // namespace ttt::harness
