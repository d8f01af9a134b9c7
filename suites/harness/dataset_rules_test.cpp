// Dataset rules: presence by mode and layer type, shapes from the config, dtypes and the
// dtype attribute, the backward pair, optional extensions, and finite values. Each rule is
// checked in memory (validate_fixture) and, where the file form matters, through a file.
#include "h5_edit.h"
#include "fixture_assertions.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace ttt::harness::testing {
namespace {

// ---------------------------------------------------------------- presence

struct Removal {
  FixtureOptions options;
  std::string group;
  std::string name;
};

bool is_optional(const std::string& group, const std::string& name) {
  const bool fp64_reference = name.size() > 5 && name.compare(name.size() - 5, 5, "_fp64") == 0;
  return fp64_reference || (group == "state" && name.rfind("ttt_conv_", 0) == 0);
}

// Every dataset the builder writes that the contract requires, for each variant.
std::vector<Removal> required_datasets() {
  std::vector<FixtureOptions> variants;
  for (const char* layer : {"linear", "mlp"}) {
    for (const char* mode : {"prefill", "decode"}) {
      FixtureOptions plain;
      plain.layer_type = layer;
      plain.mode = mode;
      variants.push_back(plain);
      FixtureOptions extras = plain;
      extras.use_gate = true;
      extras.share_qk = true;
      variants.push_back(extras);
    }
  }
  std::vector<Removal> removals;
  for (const FixtureOptions& options : variants) {
    const Fixture fixture = make_fixture(options);
    auto add = [&](const std::map<std::string, Array>& arrays, const std::string& group) {
      for (const auto& [name, array] : arrays) {
        if (!is_optional(group, name)) removals.push_back({options, group, name});
      }
    };
    add(fixture.params, "params");
    add(fixture.inputs, "inputs");
    add(fixture.outputs, "outputs");
    add(fixture.state, "state");
  }
  return removals;
}

std::string removal_name(const Removal& removal) {
  std::string name = variant_name(removal.options) + "_" + removal.group + "_" + removal.name;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

class RequiredDataset : public ::testing::TestWithParam<Removal> {};

TEST_P(RequiredDataset, MissingOneIsNamedInMemoryAndInAFile) {
  const Removal& removal = GetParam();
  const std::string path = "/" + removal.group + "/" + removal.name;
  const std::string message = "missing required dataset " + path;
  Fixture fixture = make_fixture(removal.options);
  TempDir dir;
  const std::string file = WriteTemp(dir, fixture);
  H5Edit(file).remove(path);
  ExpectLoadError(file, message);
  if (removal.group == "params") fixture.params.erase(removal.name);
  if (removal.group == "inputs") fixture.inputs.erase(removal.name);
  if (removal.group == "outputs") fixture.outputs.erase(removal.name);
  if (removal.group == "state") fixture.state.erase(removal.name);
  ExpectInvalid(fixture, message);
}

INSTANTIATE_TEST_SUITE_P(Each, RequiredDataset, ::testing::ValuesIn(required_datasets()),
                         [](const auto& info) { return removal_name(info.param); });

TEST(Presence, KProjIsIgnoredWithShareQk) {
  FixtureOptions options;
  options.share_qk = true;
  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture(options));
  const std::vector<float> wrong(3, 0.5f);
  H5Edit(path).put_dataset("/params/k_proj.weight", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {3},
                           wrong.data());
  const Fixture loaded = load_fixture(path);
  EXPECT_EQ(loaded.params.count("k_proj.weight"), 0u);
}

TEST(Presence, UnknownParamsAreNotLoaded) {
  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture());
  const std::vector<int32_t> values(4, 1);
  H5Edit(path).put_dataset("/params/some_buffer", H5T_STD_I32LE, H5T_NATIVE_INT32, {4},
                           values.data());
  const Fixture loaded = load_fixture(path);
  EXPECT_EQ(loaded.params.count("some_buffer"), 0u);
}

TEST(Presence, UnknownDatasetsAndGroupsElsewhereAreIgnored) {
  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture());
  {
    H5Edit edit(path);
    edit.create_group("/extras");
    const std::vector<double> values(2, 1.0);
    edit.put_dataset("/extras/notes", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {2}, values.data());
    edit.put_dataset("/outputs/something_else", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {2},
                     values.data());
  }
  const Fixture loaded = load_fixture(path);
  EXPECT_EQ(loaded.outputs.count("something_else"), 0u);
}

// ---------------------------------------------------------------- shapes

struct ShapeCase {
  const char* name;
  FixtureOptions options;
  const char* group;
  const char* dataset;
  std::vector<int64_t> shape;
  const char* message;
};

FixtureOptions with(const char* layer, const char* mode) {
  FixtureOptions options;
  options.layer_type = layer;
  options.mode = mode;
  return options;
}

class WrongShape : public ::testing::TestWithParam<ShapeCase> {};

TEST_P(WrongShape, NamesExpectedAndFound) {
  const ShapeCase& c = GetParam();
  Fixture fixture = make_fixture(c.options);
  std::map<std::string, Array>& group = std::string(c.group) == "params"  ? fixture.params
                                        : std::string(c.group) == "state" ? fixture.state
                                        : std::string(c.group) == "inputs" ? fixture.inputs
                                        : std::string(c.group) == "grads" ? fixture.grads
                                                                          : fixture.outputs;
  const DType dtype = group.at(c.dataset).dtype;
  group[c.dataset] = dtype == DType::Int64 ? make_positions(c.shape[0], c.shape[1])
                                           : make_array("", dtype, c.shape, 3);
  ExpectInvalid(fixture, c.message);
}

INSTANTIATE_TEST_SUITE_P(
    Each, WrongShape,
    ::testing::Values(
        ShapeCase{"linear_W1", with("linear", "prefill"), "params", "W1", {2, 4, 8},
                  "dataset /params/W1: expected shape [2, 4, 4] (H, f, f), found [2, 4, 8]"},
        ShapeCase{"mlp_W1", with("mlp", "prefill"), "params", "W1", {2, 4, 4},
                  "dataset /params/W1: expected shape [2, 4, 16] (H, f, 4f), found [2, 4, 4]"},
        ShapeCase{"mlp_b1", with("mlp", "prefill"), "params", "b1", {2, 1, 4},
                  "dataset /params/b1: expected shape [2, 1, 16] (H, 1, 4f), found [2, 1, 4]"},
        ShapeCase{"mlp_W2", with("mlp", "decode"), "params", "W2", {2, 4, 16},
                  "dataset /params/W2: expected shape [2, 16, 4] (H, 4f, f), found [2, 4, 16]"},
        ShapeCase{"lr_weight", with("linear", "prefill"), "params", "learnable_ttt_lr_weight",
                  {2, 8}, "expected shape [2, 1, 8] (H, 1, C), found [2, 8]"},
        ShapeCase{"token_idx", with("linear", "prefill"), "params", "learnable_token_idx", {3},
                  "dataset /params/learnable_token_idx: expected shape [2] (K), found [3]"},
        ShapeCase{"norm", with("linear", "prefill"), "params", "ttt_norm_weight", {8},
                  "expected shape [2, 4] (H, f), found [8]"},
        ShapeCase{"q_proj", with("linear", "prefill"), "params", "q_proj.weight", {8, 4},
                  "dataset /params/q_proj.weight: expected shape [8, 8] (C, C), found [8, 4]"},
        ShapeCase{"output", with("linear", "prefill"), "outputs", "output", {2, 4, 8},
                  "dataset /outputs/output: expected shape [2, 3, 8] (B, L, C), found [2, 4, 8]"},
        ShapeCase{"position_ids_length", with("linear", "prefill"), "inputs", "position_ids",
                  {1, 4},
                  "dataset /inputs/position_ids: expected shape [1, 3] (1, L) or [2, 3] (B, L), "
                  "found [1, 4]"},
        ShapeCase{"linear_state", with("linear", "decode"), "state", "W1_states", {2, 2, 4, 8},
                  "dataset /state/W1_states: expected shape [2, 2, 4, 4] (B, H, f, f), found "
                  "[2, 2, 4, 8]"},
        ShapeCase{"mlp_state_grad", with("mlp", "decode"), "state", "b2_grad", {2, 2, 4},
                  "dataset /state/b2_grad: expected shape [2, 2, 1, 4] (B, H, 1, f)"},
        ShapeCase{"decode_output", with("mlp", "decode"), "outputs", "decode_output", {2, 3, 8},
                  "dataset /outputs/decode_output: expected shape [2, 2, 8] (B, T, C), found "
                  "[2, 3, 8]"},
        ShapeCase{"hidden_states_rank", with("linear", "prefill"), "inputs", "hidden_states",
                  {3, 8},
                  "dataset /inputs/hidden_states: expected shape [B, L, C] with B >= 1, L >= 1, "
                  "C = 8, found [3, 8]"},
        ShapeCase{"hidden_states_width", with("linear", "prefill"), "inputs", "hidden_states",
                  {2, 3, 6}, "C = 8, found [2, 3, 6]"},
        ShapeCase{"hidden_states_empty", with("linear", "prefill"), "inputs", "hidden_states",
                  {2, 0, 8}, "found [2, 0, 8]"},
        ShapeCase{"decode_batch", with("linear", "decode"), "inputs", "decode_hidden_states",
                  {3, 2, 8},
                  "dataset /inputs/decode_hidden_states: expected batch size B = 2 (from "
                  "/inputs/prefill_hidden_states), found [3, 2, 8]"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Shapes, PositionIdsMayBePerBatchRow) {
  Fixture fixture = make_fixture();
  fixture.inputs["position_ids"] = make_positions(2, 3, 100);
  TempDir dir;
  const Fixture loaded = load_fixture(WriteTemp(dir, fixture));
  EXPECT_EQ(loaded.inputs.at("position_ids").shape, (std::vector<int64_t>{2, 3}));
}

TEST(Shapes, BatchSizeComesFromTheMainInput) {
  EXPECT_EQ(make_fixture().batch_size(), 2);
  FixtureOptions options = with("linear", "decode");
  options.batch = 3;
  EXPECT_EQ(make_fixture(options).batch_size(), 3);
}

// ---------------------------------------------------------------- dtypes

TEST(Dtypes, IntegerParamIsRefusedInMemoryAndInAFile) {
  Fixture fixture = make_fixture();
  Array& w1 = fixture.params["W1"];
  w1 = make_array("", DType::Int64, w1.shape, 1);
  ExpectInvalid(fixture, "dataset /params/W1: expected dtype float64, float32 or bfloat16, found int64");

  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture());
  const std::vector<int32_t> values(kHeads * kHeadDim * kHeadDim, 1);
  H5Edit(path).put_dataset("/params/W1", H5T_STD_I32LE, H5T_NATIVE_INT32,
                           {kHeads, kHeadDim, kHeadDim}, values.data());
  ExpectLoadError(path, "dataset /params/W1: expected dtype float64, float32 or bfloat16, found int32");
}

TEST(Dtypes, FloatPositionIdsAreRefused) {
  Fixture fixture = make_fixture();
  fixture.inputs["position_ids"] = make_array("", DType::Float32, {1, 3}, 1);
  ExpectInvalid(fixture, "dataset /inputs/position_ids: expected dtype int64 (or int32), found float32");

  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture());
  const std::vector<double> values = {0, 1, 2};
  H5Edit(path).put_dataset("/inputs/position_ids", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {1, 3},
                           values.data());
  ExpectLoadError(path, "dataset /inputs/position_ids: expected dtype int64 (or int32), found float64");
}

TEST(Dtypes, Int32PositionIdsAreWidenedToInt64) {
  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture());
  const std::vector<int32_t> values = {5, 6, -7};
  H5Edit(path).put_dataset("/inputs/position_ids", H5T_STD_I32BE, H5T_NATIVE_INT32, {1, 3},
                           values.data());
  const Array positions = load_fixture(path).inputs.at("position_ids");
  ASSERT_EQ(positions.dtype, DType::Int64);
  std::vector<int64_t> loaded(3);
  std::memcpy(loaded.data(), positions.data.data(), 3 * sizeof(int64_t));
  EXPECT_EQ(loaded, (std::vector<int64_t>{5, 6, -7}));
}

TEST(Dtypes, Fp64OutputMustBeFloat64) {
  Fixture fixture = make_fixture();
  Array& reference = fixture.outputs["output_fp64"];
  reference = make_array("", DType::Float32, reference.shape, 1);
  ExpectInvalid(fixture, "dataset /outputs/output_fp64: expected dtype float64, found float32");
}

TEST(Dtypes, BigEndianAndCompressedDataAreReadTransparently) {
  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture(with("linear", "prefill")));
  std::vector<double> values(2 * 3 * 8);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = 0.25 * static_cast<double>(i) - 3;
  H5Edit(path).put_dataset("/outputs/output", H5T_IEEE_F64BE, H5T_NATIVE_DOUBLE, {2, 3, 8},
                           values.data(), {1, 3, 8});
  const Array output = load_fixture(path).outputs.at("output");
  ASSERT_EQ(output.dtype, DType::Float64);
  EXPECT_EQ(std::memcmp(output.data.data(), values.data(), values.size() * 8), 0);
}

TEST(Dtypes, SignedSixteenBitBfloat16KeepsItsBits) {
  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture());
  const std::vector<int16_t> bits(kHidden, static_cast<int16_t>(0xBF80));  // -1.0
  {
    H5Edit edit(path);
    edit.put_dataset("/params/post_norm.bias", H5T_STD_I16LE, H5T_NATIVE_INT16, {kHidden},
                     bits.data());
    edit.set_fixed_string("/params/post_norm.bias", "dtype", "bfloat16");
  }
  const Array bias = load_fixture(path).params.at("post_norm.bias");
  ASSERT_EQ(bias.dtype, DType::BFloat16);
  EXPECT_EQ(std::memcmp(bias.data.data(), bits.data(), bits.size() * 2), 0);
}

// Writes W1 as `file_type` (from float values) with dtype attribute `declared` ("" for none).
std::string FileWithW1(const TempDir& dir, hid_t file_type, hid_t memory_type,
                       const void* values, const std::string& declared) {
  const std::string path = WriteTemp(dir, make_fixture());
  H5Edit edit(path);
  edit.put_dataset("/params/W1", file_type, memory_type, {kHeads, kHeadDim, kHeadDim}, values);
  if (!declared.empty()) edit.set_string("/params/W1", "dtype", declared);
  return path;
}

TEST(DtypeAttribute, Bfloat16OnA32BitDatasetCannotBeHonoured) {
  TempDir dir;
  const std::vector<float> values(32, 0.5f);
  const std::string path = FileWithW1(dir, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, values.data(), "bfloat16");
  ExpectLoadError(path, "dataset /params/W1: dtype attribute \"bfloat16\" cannot be honoured: "
                        "bf16 dataset stored 32 bits wide (float32)");
}

TEST(DtypeAttribute, Float16CannotBeHonoured) {
  TempDir dir;
  const std::vector<uint16_t> values(32, 0x3C00);
  const std::string path = FileWithW1(dir, H5T_STD_U16LE, H5T_NATIVE_UINT16, values.data(), "float16");
  ExpectLoadError(path, "dataset /params/W1: dtype attribute \"float16\" cannot be honoured");
}

TEST(DtypeAttribute, DisagreeingWithTheStoredTypeIsRefused) {
  TempDir dir;
  const std::vector<double> values(32, 0.5);
  const std::string path = FileWithW1(dir, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, values.data(), "float32");
  ExpectLoadError(path, "dataset /params/W1: dtype attribute \"float32\" disagrees with the stored type float64");
}

TEST(DtypeAttribute, MustBeAString) {
  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture());
  H5Edit(path).set_int("/params/W1", "dtype", 16);
  ExpectLoadError(path, "dataset /params/W1: attribute dtype: expected a string, found int64");
}

TEST(DtypeAttribute, Uint16WithoutTheAttributeIsNotBfloat16) {
  TempDir dir;
  const std::vector<uint16_t> values(32, 0x3F80);
  const std::string path = FileWithW1(dir, H5T_STD_U16LE, H5T_NATIVE_UINT16, values.data(), "");
  ExpectLoadError(path, "dataset /params/W1: expected dtype float64, float32 or bfloat16, found uint16");
}

TEST(DtypeAttribute, HalfPrecisionFloatIsRefused) {
  TempDir dir;
  const std::vector<float> values(32, 0.5f);
  detail::H5Handle half(H5Tcopy(H5T_IEEE_F32LE), H5Tclose);
  ASSERT_GE(H5Tset_fields(half.get(), 15, 10, 5, 0, 10), 0);
  ASSERT_GE(H5Tset_size(half.get(), 2), 0);
  ASSERT_GE(H5Tset_ebias(half.get(), 15), 0);
  const std::string path = FileWithW1(dir, half.get(), H5T_NATIVE_FLOAT, values.data(), "");
  ExpectLoadError(path, "dataset /params/W1: expected dtype float64, float32 or bfloat16, found float16");
}

TEST(DtypeAttribute, MatchingPlainAttributesAreHonoured) {
  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture());
  {
    H5Edit edit(path);
    edit.set_string("/params/W1", "dtype", "float32");
    edit.set_string("/inputs/position_ids", "dtype", "int64");
  }
  EXPECT_NO_THROW(load_fixture(path));
}

// ---------------------------------------------------------------- backward pair, extensions

TEST(Backward, GradsWithoutGradOutput) {
  FixtureOptions options;
  options.backward = true;
  Fixture fixture = make_fixture(options);
  fixture.inputs.erase("grad_output");
  ExpectInvalid(fixture, "missing required dataset /inputs/grad_output (required when /grads is present)");
}

TEST(Backward, GradOutputWithoutGrads) {
  FixtureOptions options;
  options.backward = true;
  Fixture fixture = make_fixture(options);
  fixture.grads.clear();
  ExpectInvalid(fixture, "missing required group /grads (required when /inputs/grad_output is present)");
}

TEST(Backward, GradShapesFollowTheirParams) {
  FixtureOptions options;
  options.backward = true;
  options.layer_type = "mlp";
  Fixture fixture = make_fixture(options);
  fixture.grads["W2"] = make_array("", DType::Float32, {2, 4, 4}, 1);
  ExpectInvalid(fixture, "dataset /grads/W2: expected shape [2, 16, 4] (H, 4f, f), found [2, 4, 4]");
  fixture = make_fixture(options);
  fixture.grads["hidden_states"] = make_array("", DType::Float32, {2, 3, 4}, 1);
  ExpectInvalid(fixture, "dataset /grads/hidden_states: expected shape [2, 3, 8] (B, L, C)");
}

TEST(Backward, SubsetOfGradsLoads) {
  FixtureOptions options;
  options.backward = true;
  Fixture fixture = make_fixture(options);
  for (auto it = fixture.grads.begin(); it != fixture.grads.end();) {
    it = it->first == "W1" ? std::next(it) : fixture.grads.erase(it);
  }
  TempDir dir;
  EXPECT_EQ(load_fixture(WriteTemp(dir, fixture)).grads.size(), 1u);
}

TEST(Extensions, ConvStateIsLoadedWhenItFitsAndIgnoredOtherwise) {
  FixtureOptions options = with("linear", "decode");
  options.share_qk = true;
  Fixture fixture = make_fixture(options);
  TempDir dir;
  const std::string path = WriteTemp(dir, fixture);
  EXPECT_EQ(load_fixture(path).state.count("ttt_conv_q"), 1u);
  const std::vector<float> values(2 * kHidden * 5, 0.0f);
  H5Edit(path).put_dataset("/state/ttt_conv_q", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT,
                           {2, kHidden, 5}, values.data());
  const Fixture loaded = load_fixture(path);
  EXPECT_EQ(loaded.state.count("ttt_conv_q"), 0u);
  EXPECT_EQ(loaded.state.count("ttt_conv_k"), 1u);
}

TEST(Extensions, KnownIntermediatesAreShapeChecked) {
  Fixture fixture = make_fixture();
  fixture.intermediates["cos"] = make_array("", DType::Float32, {2, 3, kHeadDim}, 1);  // [B, L, f]
  EXPECT_NO_THROW(validate_fixture(fixture));
  fixture.intermediates["sin"] = make_array("", DType::Float32, {3, kHeadDim}, 1);
  ExpectInvalid(fixture, "dataset /intermediates/sin: expected shape [1, 3, 4] (1, L, f) or "
                         "[2, 3, 4] (B, L, f), found [3, 4]");
  fixture.intermediates.erase("sin");
  fixture.intermediates["XK_rope"] = make_array("", DType::Float32, {2, 3, kHeads, kHeadDim}, 1);
  ExpectInvalid(fixture, "dataset /intermediates/XK_rope: expected shape [2, 2, 3, 4] (B, H, L, f)");
}

TEST(Extensions, OtherIntermediatesAreKeptOnlyWhenFloating) {
  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture());
  {
    H5Edit edit(path);
    edit.create_group("/intermediates");
    const std::vector<int64_t> ints = {1, 2};
    const std::vector<float> floats = {1.5f, 2.5f};
    edit.put_dataset("/intermediates/step_index", H5T_STD_I64LE, H5T_NATIVE_INT64, {2}, ints.data());
    edit.put_dataset("/intermediates/eta", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {2}, floats.data());
    edit.create_group("/intermediates/nested");
  }
  const Fixture loaded = load_fixture(path);
  EXPECT_EQ(loaded.intermediates.size(), 1u);
  EXPECT_EQ(loaded.intermediates.count("eta"), 1u);
}

TEST(Extensions, DecodeFixturesIgnoreGrads) {
  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture(with("linear", "decode")));
  {
    H5Edit edit(path);
    edit.create_group("/grads");
    const std::vector<float> values(4, 1.0f);
    edit.put_dataset("/grads/W1", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {4}, values.data());
  }
  EXPECT_TRUE(load_fixture(path).grads.empty());
}

// ---------------------------------------------------------------- finite values

TEST(FiniteValues, NanInTheGoldenOutputNamesCountAndFirstIndex) {
  Fixture fixture = make_fixture();
  set_value(fixture.outputs["output"], 10, std::nan(""));
  set_value(fixture.outputs["output"], 20, std::numeric_limits<double>::infinity());
  ExpectInvalid(fixture, "dataset /outputs/output: 2 non-finite value(s) (NaN or inf), the first "
                         "a NaN at [0, 1, 2] (flat index 10)");
}

TEST(FiniteValues, EveryGroupAndDtypeIsChecked) {
  struct Case {
    DType dtype;
    const char* group;
    const char* name;
  };
  FixtureOptions options;
  options.backward = true;
  for (DType dtype : {DType::Float64, DType::Float32, DType::BFloat16}) {
    options.dtype = dtype;
    for (const char* group : {"params", "inputs", "outputs", "grads"}) {
      Fixture fixture = make_fixture(options);
      auto& arrays = std::string(group) == "params"   ? fixture.params
                     : std::string(group) == "inputs" ? fixture.inputs
                     : std::string(group) == "grads"  ? fixture.grads
                                                      : fixture.outputs;
      const std::string name = std::string(group) == "params" ? "W1" :
                               std::string(group) == "outputs" ? "output" : "hidden_states";
      set_value(arrays.at(name), 0, -std::numeric_limits<double>::infinity());
      ExpectInvalid(fixture, "dataset /" + std::string(group) + "/" + name +
                                 ": 1 non-finite value(s) (NaN or inf), the first an inf at");
    }
  }
  Fixture decode = make_fixture(with("mlp", "decode"));
  set_value(decode.state["W2_grad"], 3, std::nan(""));
  ExpectInvalid(decode, "dataset /state/W2_grad: 1 non-finite value(s)");
  Fixture with_intermediate = make_fixture();
  with_intermediate.intermediates["extra"] = make_array("", DType::Float64, {3}, 1);
  set_value(with_intermediate.intermediates["extra"], 2, std::nan(""));
  ExpectInvalid(with_intermediate, "dataset /intermediates/extra: 1 non-finite value(s)");
}

TEST(FiniteValues, Bfloat16IsJudgedOnItsBitPatterns) {
  FixtureOptions options;
  options.dtype = DType::BFloat16;
  Fixture fixture = make_fixture(options);
  const uint16_t quiet_nan = 0xFFC1, finite_max = 0x7F7F;
  std::memcpy(fixture.params["b1"].data.data(), &finite_max, 2);
  std::memcpy(fixture.params["b1"].data.data() + 2, &quiet_nan, 2);
  ExpectInvalid(fixture, "dataset /params/b1: 1 non-finite value(s) (NaN or inf), the first a NaN at [0, 0, 1]");
}

TEST(FiniteValues, NanStoredInAFileIsRefusedOnLoad) {
  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture(with("mlp", "decode")));
  std::vector<float> values(2 * 2 * 8, 0.0f);
  values[17] = std::numeric_limits<float>::infinity();
  H5Edit(path).put_dataset("/inputs/decode_hidden_states", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT,
                           {2, 2, 8}, values.data());
  ExpectLoadError(path, "dataset /inputs/decode_hidden_states: 1 non-finite value(s) (NaN or "
                        "inf), the first an inf at [1, 0, 1] (flat index 17)");
}

// ---------------------------------------------------------------- in-memory integrity

TEST(Integrity, DataSizeMustMatchShapeAndDtype) {
  Fixture fixture = make_fixture();
  fixture.params["b1"].data.resize(5);
  ExpectInvalid(fixture, "dataset /params/b1: holds 5 bytes, expected 32 for shape [2, 1, 4] of float32");
}

TEST(Integrity, NamesMustBeLinkNames) {
  Fixture fixture = make_fixture();
  fixture.intermediates["a/b"] = make_array("", DType::Float32, {1}, 1);
  ExpectInvalid(fixture, "dataset name \"a/b\" in /intermediates is not a valid HDF5 link name");
}

}  // namespace
}  // namespace ttt::harness::testing
