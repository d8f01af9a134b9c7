// The layer refuses every option it cannot build from with its own message, before any
// member is built from the options: TTTOptions(64, 0) once died of a floating-point
// exception (head_dim() divides by the heads) in the constructor's initialiser list, ahead
// of the check that had the message. Each construction runs in a forked child, so a layer
// that crashes fails its own test instead of ending the suite.
#include <ttt/ttt.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

namespace {

struct InvalidOption {
  std::string name;
  std::function<ttt::TTTOptions()> options;
  std::string message;  // what the error must say
};

// gtest prints the case's name, not the struct's bytes.
void PrintTo(const InvalidOption& option, std::ostream* out) { *out << option.name; }

const double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<InvalidOption> invalid_options() {
  return {
      {"zero_heads", [] { return ttt::TTTOptions(64, 0); }, "num_attention_heads must be positive, got 0"},
      {"negative_heads", [] { return ttt::TTTOptions(64, -4); }, "num_attention_heads must be positive, got -4"},
      {"zero_hidden", [] { return ttt::TTTOptions(0, 4); }, "hidden_size must be positive, got 0"},
      {"negative_hidden", [] { return ttt::TTTOptions(-64, 4); }, "hidden_size must be positive, got -64"},
      {"heads_not_dividing", [] { return ttt::TTTOptions(64, 3); }, "hidden_size 64 is not divisible by num_attention_heads 3"},
      {"odd_head_dim", [] { return ttt::TTTOptions(60, 4); }, "head_dim 15 must be even"},
      {"zero_mini_batch", [] { return ttt::TTTOptions(64, 4).mini_batch_size(0); }, "mini_batch_size must be positive, got 0"},
      {"negative_mini_batch", [] { return ttt::TTTOptions(64, 4).mini_batch_size(-16); }, "mini_batch_size must be positive, got -16"},
      {"zero_theta", [] { return ttt::TTTOptions(64, 4).rope_theta(0); }, "rope_theta must be finite and positive, got 0"},
      {"nan_theta", [] { return ttt::TTTOptions(64, 4).rope_theta(kNaN); }, "rope_theta must be finite and positive, got nan"},
      {"infinite_lr", [] { return ttt::TTTOptions(64, 4).ttt_base_lr(INFINITY); }, "ttt_base_lr must be finite, got inf"},
      {"negative_chunk", [] { return ttt::TTTOptions(64, 4).prefill_chunk_tokens(-1); }, "prefill_chunk_tokens must be 0 (no chunks) or positive, got -1"},
      {"zero_conv_kernel", [] { return ttt::TTTOptions(64, 4).share_qk(true).conv_kernel(0); }, "conv_kernel must be positive, got 0"},
  };
}

// Builds the layer in a child process; returns what happened: "refused: <message>",
// "built", or how the child died.
std::string construct_in_child(ttt::LayerType type, const std::function<ttt::TTTOptions()>& options) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return "pipe failed";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(pipe_fds[0]);
    std::string outcome;
    try {
      (void)ttt::make_layer(type, options());
      outcome = "built";
    } catch (const c10::Error& e) {
      outcome = std::string("refused: ") + e.what_without_backtrace();
    } catch (const std::exception& e) {
      outcome = std::string("threw another exception: ") + e.what();
    }
    (void)!::write(pipe_fds[1], outcome.data(), outcome.size());
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string outcome;
  char buffer[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) outcome.append(buffer, static_cast<size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) return "the layer's constructor died of signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  return outcome;
}

class LayerOptions : public ::testing::TestWithParam<InvalidOption> {};

TEST_P(LayerOptions, InvalidOptionIsRefusedWithItsMessageNotACrash) {
  for (const auto type : {ttt::LayerType::Linear, ttt::LayerType::MLP}) {
    const auto outcome = construct_in_child(type, GetParam().options);
    EXPECT_EQ(outcome.rfind("refused: ", 0), 0u) << ttt::to_string(type) << ": " << outcome;
    EXPECT_NE(outcome.find(GetParam().message), std::string::npos)
        << ttt::to_string(type) << ": the error does not say \"" << GetParam().message << "\": " << outcome;
  }
}

INSTANTIATE_TEST_SUITE_P(EveryInvalidOption, LayerOptions, ::testing::ValuesIn(invalid_options()),
                         [](const auto& info) { return info.param.name; });

// The options that may change on a live module are checked again on the next call.
TEST(LayerOptions, AnInvalidLiveOptionIsRefusedOnTheNextCall) {
  auto layer = ttt::make_layer(ttt::LayerType::Linear, ttt::TTTOptions(32, 2).mini_batch_size(8));
  layer->options.ttt_base_lr(kNaN);
  const auto x = torch::randn({1, 8, 32});
  const auto positions = torch::arange(8).unsqueeze(0);
  try {
    (void)layer->forward(x, positions);
    FAIL() << "a forward with ttt_base_lr NaN ran";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what_without_backtrace()).find("ttt_base_lr must be finite, got nan"), std::string::npos)
        << e.what_without_backtrace();
  }
}

TEST(LayerOptions, RopeTableCacheRefusesWhatItCannotBuild) {
  EXPECT_THROW(ttt::RopeTableCache(0, 16, 10000.0), c10::Error);
  EXPECT_THROW(ttt::RopeTableCache(7, 16, 10000.0), c10::Error);
  EXPECT_THROW(ttt::RopeTableCache(8, 0, 10000.0), c10::Error);
  EXPECT_THROW(ttt::RopeTableCache(8, 16, -1.0), c10::Error);
}

}  // namespace
