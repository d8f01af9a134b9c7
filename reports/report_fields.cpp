#include <reports/report_fields.h>

#include <harness/fixture/atomic_file.h>

namespace ttt::harness {
namespace {

// JSON pointer escaping (RFC 6901), so that a key holding '/' still points at one member.
std::string pointer_token(const std::string& key) {
  std::string out;
  for (const char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

[[noreturn]] void wrong_type(const nlohmann::json& value, const char* expected, const JsonPlace& place) {
  place.fail(std::string("expected ") + expected + ", found " + json_type_name(value));
}

}  // namespace

JsonPlace JsonPlace::at(const std::string& key) const { return {file, pointer + "/" + pointer_token(key)}; }
JsonPlace JsonPlace::at(size_t index) const { return {file, pointer + "/" + std::to_string(index)}; }

void JsonPlace::fail(const std::string& problem) const {
  throw ReportInputError(file + ": " + (pointer.empty() ? std::string() : pointer + ": ") + problem);
}

std::string json_type_name(const nlohmann::json& value) {
  if (value.is_number()) return "number";
  return value.type_name();  // "null", "object", "array", "string", "boolean", ...
}

nlohmann::json read_json_document(const std::string& path) {
  std::string text;
  try {
    text = read_file(path);
  } catch (const std::exception&) {
    throw ReportInputError(path + ": cannot read the file (missing or not readable)");
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // e.what() reads "[json.exception.parse_error.101] parse error at line 3, column 5: ..."
    std::string why = e.what();
    const auto start = why.find("] ");
    if (start != std::string::npos) why = why.substr(start + 2);
    throw ReportInputError(path + ": not valid JSON: " + why);
  }
}

const nlohmann::json& require_object(const nlohmann::json& value, const JsonPlace& place) {
  if (!value.is_object()) wrong_type(value, "an object", place);
  return value;
}

const nlohmann::json& require_array(const nlohmann::json& value, const JsonPlace& place) {
  if (!value.is_array()) wrong_type(value, "an array", place);
  return value;
}

const nlohmann::json& require_member(const nlohmann::json& parent, const std::string& key, const JsonPlace& place) {
  require_object(parent, place);
  const auto it = parent.find(key);
  if (it == parent.end()) place.fail("missing \"" + key + "\"");
  return *it;
}

std::string string_member(const nlohmann::json& parent, const std::string& key, const JsonPlace& place) {
  const auto& value = require_member(parent, key, place);
  if (!value.is_string()) wrong_type(value, "a string", place.at(key));
  return value.get<std::string>();
}

double number_member(const nlohmann::json& parent, const std::string& key, const JsonPlace& place) {
  const auto& value = require_member(parent, key, place);
  if (!value.is_number()) wrong_type(value, "a number", place.at(key));
  return value.get<double>();
}

int64_t integer_member(const nlohmann::json& parent, const std::string& key, const JsonPlace& place) {
  const auto& value = require_member(parent, key, place);
  if (!value.is_number_integer()) wrong_type(value, "an integer", place.at(key));
  return value.get<int64_t>();
}

bool bool_member(const nlohmann::json& parent, const std::string& key, const JsonPlace& place) {
  const auto& value = require_member(parent, key, place);
  if (!value.is_boolean()) wrong_type(value, "true or false", place.at(key));
  return value.get<bool>();
}

std::string optional_string(const nlohmann::json& parent, const std::string& key, const JsonPlace& place,
                            const std::string& fallback) {
  require_object(parent, place);
  const auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) return fallback;
  if (!it->is_string()) wrong_type(*it, "a string", place.at(key));
  return it->get<std::string>();
}

std::string text_member(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

std::optional<double> optional_number(const nlohmann::json& parent, const std::string& key,
                                      const JsonPlace& place) {
  require_object(parent, place);
  const auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) wrong_type(*it, "a number", place.at(key));
  return it->get<double>();
}

std::optional<bool> optional_bool(const nlohmann::json& parent, const std::string& key, const JsonPlace& place) {
  require_object(parent, place);
  const auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) wrong_type(*it, "true or false", place.at(key));
  return it->get<bool>();
}

int require_schema_version(const nlohmann::json& document, int newest, const JsonPlace& place) {
  const auto version = integer_member(document, "schema_version", place);
  if (version < 1 || version > newest) {
    place.at("schema_version")
        .fail("schema_version " + std::to_string(version) + " is not one this tool reads (1 to " +
              std::to_string(newest) + ")");
  }
  return static_cast<int>(version);
}

}  // namespace ttt::harness
