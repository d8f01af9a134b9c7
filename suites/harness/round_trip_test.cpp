// write_fixture -> load_fixture is bit-exact for every layer type, mode and dtype, whatever
// string form the attributes take; load_fixture_image reads the same bytes the same way.
#include "h5_edit.h"
#include "fixture_assertions.h"

#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

namespace ttt::harness::testing {
namespace {

void ExpectArraysEqual(const std::map<std::string, Array>& expected,
                       const std::map<std::string, Array>& actual, const std::string& group) {
  ASSERT_EQ(expected.size(), actual.size()) << group;
  for (const auto& [name, array] : expected) {
    auto it = actual.find(name);
    ASSERT_NE(it, actual.end()) << group << "/" << name;
    EXPECT_EQ(it->second.dtype, array.dtype) << group << "/" << name;
    EXPECT_EQ(it->second.shape, array.shape) << group << "/" << name;
    EXPECT_TRUE(it->second.data == array.data) << group << "/" << name << " differs bitwise";
    EXPECT_EQ(it->second.path, "/" + group + "/" + name);
  }
}

void ExpectFixturesEqual(const Fixture& expected, const Fixture& actual) {
  EXPECT_EQ(actual.schema_version, expected.schema_version);
  EXPECT_EQ(actual.case_id, expected.case_id);
  EXPECT_EQ(actual.layer_type, expected.layer_type);
  EXPECT_EQ(actual.mode, expected.mode);
  EXPECT_EQ(actual.dtype, expected.dtype);
  EXPECT_EQ(actual.config_json, expected.config_json);
  EXPECT_EQ(actual.provenance, expected.provenance);
  EXPECT_EQ(actual.config.hidden_size, expected.config.hidden_size);
  EXPECT_EQ(actual.config.num_attention_heads, expected.config.num_attention_heads);
  EXPECT_EQ(actual.config.mini_batch_size, expected.config.mini_batch_size);
  EXPECT_EQ(actual.config.rope_theta, expected.config.rope_theta);
  EXPECT_EQ(actual.config.ttt_base_lr, expected.config.ttt_base_lr);
  EXPECT_EQ(actual.config.use_gate, expected.config.use_gate);
  EXPECT_EQ(actual.config.share_qk, expected.config.share_qk);
  EXPECT_EQ(actual.config.conv_kernel, expected.config.conv_kernel);
  EXPECT_EQ(actual.config.use_rope, expected.config.use_rope);
  ExpectArraysEqual(expected.params, actual.params, "params");
  ExpectArraysEqual(expected.inputs, actual.inputs, "inputs");
  ExpectArraysEqual(expected.outputs, actual.outputs, "outputs");
  ExpectArraysEqual(expected.state, actual.state, "state");
  ExpectArraysEqual(expected.grads, actual.grads, "grads");
  ExpectArraysEqual(expected.intermediates, actual.intermediates, "intermediates");
}

class RoundTrip : public ::testing::TestWithParam<FixtureOptions> {};

TEST_P(RoundTrip, WriteThenLoadIsBitExact) {
  TempDir dir;
  const Fixture written = make_fixture(GetParam());
  const std::string path = WriteTemp(dir, written);
  const Fixture loaded = load_fixture(path);
  EXPECT_EQ(loaded.file, path);
  ExpectFixturesEqual(written, loaded);
}

TEST_P(RoundTrip, ImageLoadEqualsFileLoad) {
  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture(GetParam()));
  const std::vector<char> bytes = read_bytes(path);
  const Fixture from_image = load_fixture_image(bytes.data(), bytes.size(), "image:" + path);
  EXPECT_EQ(from_image.file, "image:" + path);
  ExpectFixturesEqual(load_fixture(path), from_image);
}

INSTANTIATE_TEST_SUITE_P(AllVariants, RoundTrip, ::testing::ValuesIn(all_variants()),
                         [](const auto& info) { return variant_name(info.param); });

std::vector<FixtureOptions> optional_variants() {
  std::vector<FixtureOptions> variants;
  for (const char* mode : {"prefill", "decode"}) {
    FixtureOptions options;
    options.mode = mode;
    options.use_gate = true;
    options.share_qk = true;
    options.backward = options.mode == "prefill";
    options.batch = 1;
    variants.push_back(options);
  }
  return variants;
}

INSTANTIATE_TEST_SUITE_P(GateShareQkBackward, RoundTrip, ::testing::ValuesIn(optional_variants()),
                         [](const auto& info) { return variant_name(info.param); });

TEST(RoundTripDetails, Bfloat16BitPatternsSurviveUnchanged) {
  FixtureOptions options;
  options.dtype = DType::BFloat16;
  Fixture fixture = make_fixture(options);
  Array& weight = fixture.params["q_proj.weight"];
  // -0, the smallest subnormal, the largest finite, 1, -2, and a value with all mantissa bits.
  const uint16_t patterns[] = {0x8000, 0x0001, 0x7F7F, 0x3F80, 0xC000, 0x3FFF};
  std::memcpy(weight.data.data(), patterns, sizeof patterns);
  TempDir dir;
  const std::string path = WriteTemp(dir, fixture);
  const Fixture loaded = load_fixture(path);
  EXPECT_TRUE(loaded.params.at("q_proj.weight").data == weight.data);
  // Stored as uint16 with dtype="bfloat16", as the contract says.
  const std::vector<char> raw = read_raw(path, "/params/q_proj.weight", H5T_NATIVE_UINT16, 2);
  EXPECT_EQ(std::memcmp(raw.data(), patterns, sizeof patterns), 0);
}

TEST(RoundTripDetails, SchemaVersionIsStoredAsInt64AndStringsAsVariableUtf8) {
  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture());
  detail::silence_hdf5_errors();
  detail::H5Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  ASSERT_TRUE(file);
  detail::H5Handle version(H5Aopen(file.get(), "schema_version", H5P_DEFAULT), H5Aclose);
  detail::H5Handle version_type(H5Aget_type(version.get()), H5Tclose);
  EXPECT_EQ(H5Tget_class(version_type.get()), H5T_INTEGER);
  EXPECT_EQ(H5Tget_size(version_type.get()), 8u);
  detail::H5Handle mode(H5Aopen(file.get(), "mode", H5P_DEFAULT), H5Aclose);
  detail::H5Handle mode_type(H5Aget_type(mode.get()), H5Tclose);
  EXPECT_GT(H5Tis_variable_str(mode_type.get()), 0);
  EXPECT_EQ(H5Tget_cset(mode_type.get()), H5T_CSET_UTF8);
}

TEST(RoundTripDetails, FixedLengthAndArrayStringsLoadLikeVariableOnes) {
  TempDir dir;
  const Fixture written = make_fixture();
  const std::string path = WriteTemp(dir, written);
  {
    H5Edit edit(path);
    edit.set_fixed_string("/", "case", written.case_id);
    edit.set_fixed_string("/", "layer_type", "linear", H5T_CSET_UTF8);
    edit.set_fixed_string("/", "config", written.config_json.dump());
    edit.set_string_array("/", "mode", {"prefill"});
    edit.set_fixed_string("/params/W1", "dtype", "float32");
  }
  const Fixture loaded = load_fixture(path);
  ExpectFixturesEqual(written, loaded);
}

TEST(RoundTripDetails, ConfigFieldsWinOverStaleConfigJsonAndExtraKeysAreKept) {
  Fixture fixture = make_fixture();
  fixture.config.rope_theta = 500000.0;
  fixture.config_json["rope_theta"] = 1.0;  // stale
  TempDir dir;
  const Fixture loaded = load_fixture(WriteTemp(dir, fixture));
  EXPECT_EQ(loaded.config.rope_theta, 500000.0);
  EXPECT_EQ(loaded.config_json["rope_theta"], 500000.0);
  EXPECT_EQ(loaded.config_json["pre_conv"], false);
}

TEST(RoundTripDetails, UnknownIntermediatesAndStateAreHandledAsDocumented) {
  Fixture fixture = make_fixture();
  fixture.intermediates["cos"] = make_array("", DType::Float32, {1, 3, kHeadDim}, 7);
  fixture.intermediates["XQ_rope"] = make_array("", DType::Float32, {2, kHeads, 3, kHeadDim}, 8);
  fixture.intermediates["my_debug_tensor"] = make_array("", DType::Float64, {5}, 9);
  TempDir dir;
  const Fixture loaded = load_fixture(WriteTemp(dir, fixture));
  EXPECT_EQ(loaded.intermediates.size(), 3u);
  EXPECT_TRUE(loaded.intermediates.at("my_debug_tensor").data ==
              fixture.intermediates.at("my_debug_tensor").data);
}

TEST(RoundTripDetails, WritingTheSameFixtureTwiceGivesTheSameBytes) {
  TempDir dir;
  FixtureOptions options;
  options.layer_type = "mlp";
  options.mode = "decode";
  const Fixture fixture = make_fixture(options);
  const std::string first = WriteTemp(dir, fixture, "first.h5");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // a timestamp would differ
  const std::string second = WriteTemp(dir, fixture, "second.h5");
  EXPECT_TRUE(read_bytes(first) == read_bytes(second));
}

TEST(AtomicWrite, LeavesNoTemporaryAndReplacesAnExistingFile) {
  TempDir dir;
  const std::string path = dir.file("fixture.h5");
  write_bytes(path, {'o', 'l', 'd'});
  write_fixture(make_fixture(), path);
  EXPECT_NO_THROW(load_fixture(path));
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST(AtomicWrite, FailureNamesThePathAndLeavesNothingBehind) {
  TempDir dir;
  const std::string path = dir.file("no_such_folder/fixture.h5");
  ExpectFixtureError([&] { write_fixture(make_fixture(), path); }, "cannot write", path);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(AtomicWrite, RefusesAnInvalidFixtureAndKeepsTheOldFile) {
  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture());
  const std::vector<char> before = read_bytes(path);
  Fixture broken = make_fixture();
  broken.outputs.erase("output");
  ExpectFixtureError([&] { write_fixture(broken, path); },
                     "refusing to write an invalid fixture: missing required dataset /outputs/output",
                     path);
  EXPECT_EQ(read_bytes(path), before);
}

}  // namespace
}  // namespace ttt::harness::testing
