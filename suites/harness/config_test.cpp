// The config attribute: every key required with its JSON type, range rules, extra keys
// ignored. Parsing is tested through files (as stored), ranges in memory too.
#include "h5_edit.h"
#include "fixture_assertions.h"

namespace ttt::harness::testing {
namespace {

// Writes a valid fixture, replaces its config JSON with `config`, and expects `message`.
void ExpectConfigError(const nlohmann::json& config, const std::string& message) {
  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture());
  H5Edit(path).set_string("/", "config", config.dump());
  ExpectLoadError(path, message);
}

nlohmann::json valid_config() { return make_fixture().config_json; }

class MissingConfigKey : public ::testing::TestWithParam<const char*> {};

TEST_P(MissingConfigKey, IsNamed) {
  nlohmann::json config = valid_config();
  config.erase(GetParam());
  ExpectConfigError(config, std::string("config: missing required key ") + GetParam());
}

INSTANTIATE_TEST_SUITE_P(Each, MissingConfigKey,
                         ::testing::Values("hidden_size", "num_attention_heads", "mini_batch_size",
                                           "rope_theta", "ttt_base_lr", "use_gate", "share_qk",
                                           "conv_kernel", "use_rope"));

TEST(ConfigTypes, ConfigMustBeAnObject) {
  ExpectConfigError(nlohmann::json::array({1, 2}), "config: expected a JSON object, found [1,2]");
}

TEST(ConfigTypes, IntegerKeyAsFloatIsRefused) {
  nlohmann::json config = valid_config();
  config["hidden_size"] = 8.0;
  ExpectConfigError(config, "config: hidden_size must be an integer, found 8.0");
}

TEST(ConfigTypes, IntegerKeyAsStringIsRefused) {
  nlohmann::json config = valid_config();
  config["mini_batch_size"] = "2";
  ExpectConfigError(config, "config: mini_batch_size must be an integer, found \"2\"");
}

TEST(ConfigTypes, IntegerBeyondInt64IsRefused) {
  nlohmann::json config = valid_config();
  config["conv_kernel"] = 18446744073709551615ull;
  ExpectConfigError(config, "config: conv_kernel is out of the int64 range");
}

TEST(ConfigTypes, BooleanAsStringIsRefused) {
  nlohmann::json config = valid_config();
  config["use_gate"] = "true";
  ExpectConfigError(config, "config: use_gate must be a boolean, found \"true\"");
}

TEST(ConfigTypes, BooleanAsTwoIsRefused) {
  nlohmann::json config = valid_config();
  config["use_rope"] = 2;
  ExpectConfigError(config, "config: use_rope must be a boolean, found 2");
}

TEST(ConfigTypes, FloatKeyAsStringIsRefused) {
  nlohmann::json config = valid_config();
  config["rope_theta"] = "1e4";
  ExpectConfigError(config, "config: rope_theta must be a number, found \"1e4\"");
}

TEST(ConfigTypes, ZeroOneBooleansIntegerFloatsAndExtraKeysAreAccepted) {
  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture());
  nlohmann::json config = valid_config();
  config["use_gate"] = 0;
  config["use_rope"] = 1;
  config["rope_theta"] = 10000;  // an integer JSON number is a fine float
  config["vocab_size"] = 32000;
  H5Edit(path).set_string("/", "config", config.dump());
  const Fixture loaded = load_fixture(path);
  EXPECT_FALSE(loaded.config.use_gate);
  EXPECT_TRUE(loaded.config.use_rope);
  EXPECT_EQ(loaded.config.rope_theta, 10000.0);
  EXPECT_EQ(loaded.config_json["vocab_size"], 32000);
}

struct RangeCase {
  const char* name;
  const char* key;
  nlohmann::json value;
  const char* message;
};

class ConfigRange : public ::testing::TestWithParam<RangeCase> {};

TEST_P(ConfigRange, NamesKeyRuleAndValue) {
  nlohmann::json config = valid_config();
  config[GetParam().key] = GetParam().value;
  ExpectConfigError(config, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Each, ConfigRange,
    ::testing::Values(
        RangeCase{"hidden_size_zero", "hidden_size", 0, "config: hidden_size must be >= 1, found 0"},
        RangeCase{"hidden_size_huge", "hidden_size", 1000000000,
                  "config: hidden_size must be <= 65536, found 1000000000"},
        RangeCase{"heads_zero", "num_attention_heads", 0,
                  "config: num_attention_heads must be >= 1, found 0"},
        RangeCase{"heads_huge", "num_attention_heads", 5000,
                  "config: num_attention_heads must be <= 4096, found 5000"},
        RangeCase{"heads_not_dividing", "num_attention_heads", 3,
                  "config: hidden_size 8 is not divisible by num_attention_heads 3"},
        RangeCase{"odd_head_dim", "num_attention_heads", 8,
                  "config: head_dim 1 (hidden_size 8 / num_attention_heads 8) must be even"},
        RangeCase{"mini_batch_zero", "mini_batch_size", 0,
                  "config: mini_batch_size must be >= 1, found 0"},
        RangeCase{"mini_batch_negative", "mini_batch_size", -4,
                  "config: mini_batch_size must be >= 1, found -4"},
        RangeCase{"mini_batch_huge", "mini_batch_size", 100000,
                  "config: mini_batch_size must be <= 65536, found 100000"},
        RangeCase{"conv_kernel_zero", "conv_kernel", 0, "config: conv_kernel must be >= 1, found 0"},
        RangeCase{"conv_kernel_huge", "conv_kernel", 5000,
                  "config: conv_kernel must be <= 4096, found 5000"},
        RangeCase{"rope_theta_zero", "rope_theta", 0.0,
                  "config: rope_theta must be finite and > 0, found 0"},
        RangeCase{"rope_theta_negative", "rope_theta", -1.5,
                  "config: rope_theta must be finite and > 0, found -1.5"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ConfigRange, NumberTooLargeForADoubleIsMalformedJson) {
  // JSON has no inf, and the parser refuses a number that overflows a double; the finite
  // rule on ttt_base_lr is reached in memory (InMemoryRangesAreCheckedToo).
  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture());
  std::string text = valid_config().dump();
  const std::string key = "\"ttt_base_lr\":1.0";
  ASSERT_NE(text.find(key), std::string::npos);
  text.replace(text.find(key), key.size(), "\"ttt_base_lr\":1e999");
  H5Edit(path).set_string("/", "config", text);
  ExpectLoadError(path, "attribute config: malformed JSON: [json.exception.out_of_range.406] "
                        "number overflow parsing '1e999'");
}

TEST(ConfigRange, OddHeadDimIsRefusedWithoutRopeToo) {
  Fixture fixture = make_fixture();
  fixture.config.use_rope = false;
  fixture.config.num_attention_heads = 8;  // head_dim 1
  try {
    validate_fixture(fixture);
    ADD_FAILURE() << "an odd head_dim was accepted";
  } catch (const FixtureError& e) {
    EXPECT_NE(std::string(e.what()).find("must be even"), std::string::npos) << e.what();
  }
}

TEST(ConfigRange, InMemoryRangesAreCheckedToo) {
  Fixture fixture = make_fixture();
  fixture.config.hidden_size = 70000;
  ExpectInvalid(fixture, "config: hidden_size must be <= 65536, found 70000");
  fixture = make_fixture();
  fixture.config.ttt_base_lr = std::numeric_limits<double>::quiet_NaN();
  ExpectInvalid(fixture, "config: ttt_base_lr must be finite, found nan");
}

}  // namespace
}  // namespace ttt::harness::testing
