#include <harness/cli/usage_errors.h>

#include <algorithm>
#include <ostream>
#include <regex>
#include <vector>

namespace ttt::harness {
namespace {

// Edit distance, for "did you mean": a typo is one or two keystrokes from the word meant.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const auto above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

// " (did you mean X?)" when one valid word is within two edits of `word`.
std::string suggestion(const std::string& word, const std::vector<std::string>& valid) {
  std::string best;
  std::size_t best_distance = 3;
  for (const auto& v : valid) {
    const auto d = edit_distance(word, v);
    if (d < best_distance) best_distance = d, best = v;
  }
  return best.empty() ? "" : " (did you mean " + best + "?)";
}

std::vector<std::string> subcommand_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) names.push_back(sub->get_name());
  return names;
}

// The long names of the options of `cmd`, as typed: --filter, --isolate, ...
std::vector<std::string> option_names(const CLI::App& cmd) {
  std::vector<std::string> names;
  for (const auto* opt : cmd.get_options()) {
    for (const auto& name : opt->get_lnames()) names.push_back("--" + name);
  }
  return names;
}

// The subcommand named on the command line (the first word that is not an option), if any.
const CLI::App* named_subcommand(const CLI::App& app, int argc, char** argv, std::string& word) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.empty() || arg[0] == '-') continue;
    word = arg;
    for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      if (sub->check_name(arg)) return sub;
    }
    return nullptr;
  }
  return nullptr;
}

}  // namespace

CLI::Validator regular_expression() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        try {
          std::regex compiled(value);
        } catch (const std::regex_error& e) {
          return "\"" + value + "\" is not a regular expression (" + e.what() + ")";
        }
        return "";
      },
      "REGEX", "regular expression");
}

int report_usage_error(const CLI::App& app, const CLI::ParseError& error, int argc, char** argv, std::ostream& err) {
  if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
    app.exit(error);  // --help: CLI11 prints it
    return 0;
  }
  const auto subcommands = subcommand_names(app);
  std::string word;
  const auto* sub = named_subcommand(app, argc, argv, word);
  if (sub == nullptr) {
    std::string option;  // an option before any subcommand (--version) is an unknown option of the tool
    for (int i = 1; i < argc && option.empty(); ++i) {
      const std::string arg = argv[i];
      if (arg.rfind("-", 0) == 0 && arg != "--help" && arg != "-h") option = arg.substr(0, arg.find('='));
      if (!arg.empty() && arg[0] != '-') break;
    }
    if (!option.empty()) {
      err << "ttt-harness: unknown option " << option << " before the subcommand; the subcommands: "
          << joined(subcommands) << " (ttt-harness --help, ttt-harness SUBCOMMAND --help)" << std::endl;
    } else if (!word.empty()) {
      err << "ttt-harness: unknown subcommand '" << word << "'" << suggestion(word, subcommands)
          << "; the subcommands: " << joined(subcommands) << " (ttt-harness --help)" << std::endl;
    } else {
      err << "ttt-harness: give a subcommand: " << joined(subcommands) << " (ttt-harness --help)" << std::endl;
    }
    return 2;
  }
  const std::string name = "ttt-harness " + sub->get_name();
  if (dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr) {
    const auto valid = option_names(*sub);
    bool named = false;
    for (const auto& extra : app.remaining(false)) {  // before the subcommand: the tool's own
      err << "ttt-harness: unknown option " << extra.substr(0, extra.find('='))
          << " before the subcommand (options go after it: " << name << " --help)" << std::endl;
      named = true;
    }
    for (const auto& extra : sub->remaining()) {
      named = true;
      if (extra.rfind("-", 0) == 0) {
        const auto bare = extra.substr(0, extra.find('='));
        err << name << ": unknown option " << bare << suggestion(bare, valid) << "; the options of "
            << sub->get_name() << ": " << joined(valid) << " (" << name << " --help)" << std::endl;
      } else {
        err << name << ": unexpected argument '" << extra << "' (" << name << " --help)" << std::endl;
      }
    }
    if (!named) err << name << ": " << error.what() << " (" << name << " --help)" << std::endl;
    return 2;
  }
  err << name << ": " << error.what() << " (" << name << " --help)" << std::endl;
  return 2;
}

}  // namespace ttt::harness
