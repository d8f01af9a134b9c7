#pragma once
// Typed reading of JSON documents that came from files (reports, benchmark and long-sequence
// results): every error names the file and the field, e.g.
// "out/bench.json: /results/3/tokens_per_s: expected a number, found string".

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace ttt::harness {

// An input that cannot be used: the message names the file and what is wrong with it.
class ReportInputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Where a value sits: the file and a JSON pointer into it.
struct JsonPlace {
  std::string file;
  std::string pointer;  // "" for the document itself

  JsonPlace at(const std::string& key) const;
  JsonPlace at(size_t index) const;
  [[noreturn]] void fail(const std::string& problem) const;  // throws ReportInputError
};

// The whole file parsed; a missing file or malformed JSON is a ReportInputError.
nlohmann::json read_json_document(const std::string& path);

const nlohmann::json& require_object(const nlohmann::json& value, const JsonPlace& place);
const nlohmann::json& require_array(const nlohmann::json& value, const JsonPlace& place);
// `parent` must be an object; the member must be there.
const nlohmann::json& require_member(const nlohmann::json& parent, const std::string& key, const JsonPlace& place);

std::string string_member(const nlohmann::json& parent, const std::string& key, const JsonPlace& place);
double number_member(const nlohmann::json& parent, const std::string& key, const JsonPlace& place);
int64_t integer_member(const nlohmann::json& parent, const std::string& key, const JsonPlace& place);
bool bool_member(const nlohmann::json& parent, const std::string& key, const JsonPlace& place);

// Optional members: absent (or null) gives the fallback; present with another type is an error.
std::string optional_string(const nlohmann::json& parent, const std::string& key, const JsonPlace& place,
                            const std::string& fallback = "");
std::optional<double> optional_number(const nlohmann::json& parent, const std::string& key, const JsonPlace& place);
std::optional<bool> optional_bool(const nlohmann::json& parent, const std::string& key, const JsonPlace& place);

// A member of a document already validated, as text: "" when absent or not a string (for
// reading, diffing and keying reports, never for validating them).
std::string text_member(const nlohmann::json& object, const char* key);

// The JSON type as a reader would name it: "string", "number", "object", ...
std::string json_type_name(const nlohmann::json& value);

// A checked `schema_version`: an integer from 1 to `newest`, else a ReportInputError that
// says which version the file has and which this tool reads.
int require_schema_version(const nlohmann::json& document, int newest, const JsonPlace& place);

}  // namespace ttt::harness
