// The root attributes: presence, type and value rules, as the loader applies them to files
// and validate_fixture to in-memory fixtures.
#include "h5_edit.h"
#include "fixture_assertions.h"

namespace ttt::harness::testing {
namespace {

// A valid fixture on disk, edited by each test.
class RootAttributes : public ::testing::Test {
 protected:
  void SetUp() override { path_ = WriteTemp(dir_, make_fixture()); }
  TempDir dir_;
  std::string path_;
};

class MissingRootAttribute : public ::testing::TestWithParam<const char*> {};

TEST_P(MissingRootAttribute, IsNamed) {
  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture());
  H5Edit(path).remove_attribute("/", GetParam());
  ExpectLoadError(path, std::string("missing required attribute ") + GetParam());
}

INSTANTIATE_TEST_SUITE_P(Each, MissingRootAttribute,
                         ::testing::Values("schema_version", "case", "layer_type", "mode",
                                           "dtype", "config", "provenance"));

TEST_F(RootAttributes, SchemaVersionTwoIsUnknown) {
  H5Edit(path_).set_int("/", "schema_version", 2);
  ExpectLoadError(path_, "attribute schema_version: expected 1, found 2");
}

TEST_F(RootAttributes, SchemaVersionAsStringNamesExpectedAndFound) {
  H5Edit(path_).set_string("/", "schema_version", "1");
  ExpectLoadError(path_, "attribute schema_version: expected integer 1, found string \"1\"");
}

TEST_F(RootAttributes, SchemaVersionAsFloatNamesExpectedAndFound) {
  H5Edit(path_).set_float("/", "schema_version", 1.0);
  ExpectLoadError(path_, "attribute schema_version: expected integer 1, found float64 1");
}

TEST_F(RootAttributes, StringAttributeStoredAsIntegerIsRefused) {
  H5Edit(path_).set_int("/", "mode", 1);
  ExpectLoadError(path_, "attribute mode: expected a string, found int64");
}

TEST_F(RootAttributes, StringArrayOfTwoIsRefused) {
  H5Edit(path_).set_string_array("/", "mode", {"prefill", "decode"});
  ExpectLoadError(path_, "attribute mode: expected a single string, found 2 elements");
}

TEST_F(RootAttributes, UnknownLayerType) {
  H5Edit(path_).set_string("/", "layer_type", "transformer");
  ExpectLoadError(path_, "attribute layer_type: expected linear or mlp, found \"transformer\"");
}

TEST_F(RootAttributes, UnknownMode) {
  H5Edit(path_).set_string("/", "mode", "train");
  ExpectLoadError(path_, "attribute mode: expected prefill or decode, found \"train\"");
}

TEST_F(RootAttributes, UnknownDtype) {
  H5Edit(path_).set_fixed_string("/", "dtype", "float16");
  ExpectLoadError(path_, "attribute dtype: expected float64, float32 or bfloat16, found \"float16\"");
}

TEST_F(RootAttributes, EmptyCaseId) {
  H5Edit(path_).set_string("/", "case", "");
  ExpectLoadError(path_, "attribute case: expected a case id, found an empty string");
}

TEST_F(RootAttributes, MalformedConfigJsonNamesAttributeAndParseError) {
  H5Edit(path_).set_string("/", "config", "{\"hidden_size\": 8,");
  ExpectLoadError(path_, "attribute config: malformed JSON: [json.exception.parse_error");
}

TEST_F(RootAttributes, MalformedProvenanceJson) {
  H5Edit(path_).set_string("/", "provenance", "not json");
  ExpectLoadError(path_, "attribute provenance: malformed JSON");
}

TEST_F(RootAttributes, ProvenanceMustBeAnObject) {
  H5Edit(path_).set_string("/", "provenance", "[1, 2]");
  ExpectLoadError(path_, "attribute provenance: expected a JSON object, found array");
}

TEST_F(RootAttributes, ProvenanceIsKeptAsRead) {
  H5Edit(path_).set_string("/", "provenance", R"({"seed": 7, "custom": {"a": [1]}})");
  const Fixture loaded = load_fixture(path_);
  EXPECT_EQ(loaded.provenance, nlohmann::json::parse(R"({"seed": 7, "custom": {"a": [1]}})"));
}

TEST_F(RootAttributes, UnknownRootAttributesAreIgnored) {
  H5Edit(path_).set_string("/", "comment", "written by another tool");
  EXPECT_NO_THROW(load_fixture(path_));
}

// The same rules on an in-memory fixture.
TEST(RootFieldsInMemory, EachRuleFires) {
  Fixture fixture = make_fixture();
  fixture.schema_version = 3;
  ExpectInvalid(fixture, "attribute schema_version: expected 1, found 3");
  fixture = make_fixture();
  fixture.layer_type = "rnn";
  ExpectInvalid(fixture, "attribute layer_type: expected linear or mlp, found \"rnn\"");
  fixture = make_fixture();
  fixture.mode = "";
  ExpectInvalid(fixture, "attribute mode: expected prefill or decode, found \"\"");
  fixture = make_fixture();
  fixture.dtype = "int8";
  ExpectInvalid(fixture, "attribute dtype: expected float64, float32 or bfloat16, found \"int8\"");
  fixture = make_fixture();
  fixture.provenance = "a string";
  ExpectInvalid(fixture, "attribute provenance: expected a JSON object, found string");
  fixture = make_fixture();
  fixture.case_id.clear();
  ExpectInvalid(fixture, "attribute case: expected a case id");
  // Found by the fuzz smoke (fuzz.smoke_struct): the writer's HDF5 string ends at the NUL, so
  // the case id read back was cut short.
  fixture = make_fixture();
  fixture.case_id = std::string("ab\0cd", 5);
  ExpectInvalid(fixture, "attribute case: a NUL byte at offset 2 (an HDF5 string ends there)");
}

// Found by fuzz_fixture_struct (fuzz/regressions/struct/invalid_utf8_in_provenance_json): a
// string that is not UTF-8 inside the JSON attributes passed validation, and write_fixture then
// failed with "unexpected error" from json::dump(). Both now refuse it, naming the attribute.
TEST(RootFieldsInMemory, JsonTextMustBeUtf8) {
  TempDir dir;
  Fixture fixture = make_fixture();
  fixture.provenance["generator"] = std::string("\xef\x72", 2);
  ExpectInvalid(fixture, "attribute provenance: a string in it is not valid UTF-8");
  ExpectFixtureError([&] { write_fixture(fixture, dir.file("provenance.h5")); },
                     "refusing to write an invalid fixture: attribute provenance: a string in it "
                     "is not valid UTF-8", dir.file("provenance.h5"));
  fixture = make_fixture();
  fixture.config_json["comment"] = "\xff";
  ExpectInvalid(fixture, "attribute config: a string in it is not valid UTF-8");
}

}  // namespace
}  // namespace ttt::harness::testing
