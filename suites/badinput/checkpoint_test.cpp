// ttt::load_state_dict (ttt/checkpoint.h): a safetensors or torch.save checkpoint into a layer.
//   - the good file of suites/badinput/checkpoints/ (written by Python's safetensors) loads
//     every parameter bit for bit, and a tensor outside the prefix is ignored;
//   - the same tensors saved by torch.save as a dict (torch_good.pt) load to the same values;
//   - every malformed file there (make_checkpoint_corpus.py, expected.json) is one c10::Error
//     that names the problem, and leaves the layer as it was;
//   - round trip at the real shape: the float32 checkpoint golden's parameters written as a
//     safetensors file load into a fresh layer whose output is the one the harness's own
//     loading gives, bit for bit (and that one passes the golden).
#include <ttt/ttt.h>

#include <harness/fixture/fixture.h>
#include <harness/layer_io/layer_factory.h>
#include <harness/layer_io/tensors.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ttt_paths.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace {

const std::string kCorpus = TTT_SOURCE_DIR "/suites/badinput/checkpoints";
const std::string kPrefix = "model.layers.0.seq_modeling_block.";

std::shared_ptr<ttt::TTTBaseImpl> tiny_layer() {
  return ttt::make_layer(ttt::LayerType::Linear, ttt::TTTOptions(8, 2).mini_batch_size(4));
}

std::map<std::string, torch::Tensor> snapshot(ttt::TTTBaseImpl& layer) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : layer.named_parameters()) out[p.key()] = p.value().detach().clone();
  return out;
}

TEST(LoadStateDict, TheGoodFileLoadsEveryParameter) {
  auto layer = tiny_layer();
  const auto before = snapshot(*layer);
  ttt::load_state_dict(*layer, kCorpus + "/good.safetensors", kPrefix);
  int changed = 0;
  for (const auto& p : layer->named_parameters()) changed += torch::equal(p.value(), before.at(p.key())) ? 0 : 1;
  EXPECT_EQ(changed, static_cast<int>(before.size())) << "every parameter comes from the file";
  // The file's first value of W1 (make_checkpoint_corpus.py: torch.randn, generator seed 7,
  // the tensors in SHAPES order) is not a layer default; a second load changes nothing.
  const auto W1 = layer->named_parameters()["W1"].clone();
  ttt::load_state_dict(*layer, kCorpus + "/good.safetensors", kPrefix);
  EXPECT_TRUE(torch::equal(W1, layer->named_parameters()["W1"]));
}

TEST(LoadStateDict, TheTorchSaveDictLoadsAsTheSafetensorsFile) {
  auto from_safetensors = tiny_layer();
  ttt::load_state_dict(*from_safetensors, kCorpus + "/good.safetensors", kPrefix);
  auto from_torch = tiny_layer();
  const auto before = snapshot(*from_torch);
  ttt::load_state_dict(*from_torch, kCorpus + "/torch_good.pt", kPrefix);
  const auto expected = snapshot(*from_safetensors);
  for (const auto& p : from_torch->named_parameters()) {
    EXPECT_FALSE(torch::equal(p.value(), before.at(p.key()))) << p.key() << " not loaded";
    EXPECT_TRUE(torch::equal(p.value(), expected.at(p.key()))) << p.key() << " differs from good.safetensors";
  }
}

class MalformedCheckpoint : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(MalformedCheckpoint, IsOneClearErrorAndTheLayerIsUnchanged) {
  const auto& [file, message] = GetParam();
  auto layer = tiny_layer();
  const auto before = snapshot(*layer);
  try {
    ttt::load_state_dict(*layer, kCorpus + "/" + file, kPrefix);
    FAIL() << file << " loaded";
  } catch (const c10::Error& e) {
    const std::string what = e.what_without_backtrace();
    EXPECT_NE(what.find(file), std::string::npos) << "the error does not name the file: " << what;
    EXPECT_NE(what.find(message), std::string::npos) << "expected \"" << message << "\" in: " << what;
  }
  for (const auto& p : layer->named_parameters()) {
    EXPECT_TRUE(torch::equal(p.value(), before.at(p.key()))) << file << " changed " << p.key();
  }
}

std::vector<std::pair<std::string, std::string>> corpus() {
  std::ifstream in(kCorpus + "/expected.json");
  const auto expected = nlohmann::json::parse(in);
  std::vector<std::pair<std::string, std::string>> cases;
  for (const auto& [file, message] : expected.items()) cases.emplace_back(file, message.get<std::string>());
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Corpus, MalformedCheckpoint, ::testing::ValuesIn(corpus()), [](const auto& info) {
  auto name = info.param.first.substr(0, info.param.first.find('.'));
  return name;
});

// The test's own writer, for the round trip: the format as the safetensors docs give it.
void write_safetensors(const std::string& path, const std::map<std::string, torch::Tensor>& tensors) {
  nlohmann::json header = {{"__metadata__", {{"format", "pt"}}}};
  std::string payload;
  for (const auto& [name, t] : tensors) {
    const auto c = t.contiguous();
    TORCH_CHECK(c.scalar_type() == torch::kFloat32, "the test writes float32 only");
    const auto begin = payload.size();
    payload.append(static_cast<const char*>(c.data_ptr()), c.numel() * sizeof(float));
    header[name] = {{"dtype", "F32"}, {"shape", c.sizes().vec()}, {"data_offsets", {begin, payload.size()}}};
  }
  const auto text = header.dump();
  std::ofstream out(path, std::ios::binary);
  uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>((n >> (8 * i)) & 0xff));
  out << text << payload;
}

TEST(LoadStateDict, RoundTripAtTheRealShape) {
  const auto file = std::string(TTT_FIXTURES_DIR) + "/checkpoint/ckpt_ttt_w768_linear_layer1_f32_b1_l256_k16.h5";
  const auto fixture = ttt::harness::load_fixture(file);
  const auto options = ttt::harness::layer_options(fixture.config);
  std::map<std::string, torch::Tensor> tensors;
  const std::string prefix = "model.layers.1.seq_modeling_block.";
  for (const auto& [name, array] : fixture.params) tensors[prefix + name] = ttt::harness::to_tensor(array);
  tensors["model.layers.0.seq_modeling_block.W1"] = torch::zeros({12, 64, 64});  // another layer's: ignored
  const auto path = (fs::temp_directory_path() / ("ttt_roundtrip_" + std::to_string(::getpid()) + ".safetensors")).string();
  write_safetensors(path, tensors);

  auto loaded = ttt::make_layer(ttt::LayerType::Linear, options);
  ttt::load_state_dict(*loaded, path, prefix);
  fs::remove(path);
  auto reference = ttt::make_layer(ttt::LayerType::Linear, options);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : reference->named_parameters()) p.value().copy_(tensors.at(prefix + p.key()));
  }
  const auto x = ttt::harness::to_tensor(fixture.inputs.at("hidden_states"));
  const auto positions = ttt::harness::to_tensor(fixture.inputs.at("position_ids"));
  c10::InferenceMode inference;
  const auto a = loaded->forward(x, positions), b = reference->forward(x, positions);
  EXPECT_TRUE(torch::equal(a, b)) << "max |diff| " << (a - b).abs().max().item<double>();
  const auto golden = ttt::harness::to_tensor(fixture.outputs.at("output"));
  EXPECT_LT((a - golden).abs().max().item<double>(), 1e-4) << "far from the golden output";
}

}  // namespace
