// The process protocol's messages on their own (ports/process/wire.h): every dtype crosses bit
// for bit, and whatever a port writes that is not a message (bad JSON, a bad tensor entry, a
// payload cut short, silence) is an error that says so, never a crash or a hang.
#include <ports/process/wire.h>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

namespace ttt::ports::wire {
namespace {

// A pipe: what is written to `in` is read from `out`.
struct Pipe {
  int read_end = -1, write_end = -1;
  Pipe() {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    read_end = fds[0];
    write_end = fds[1];
  }
  ~Pipe() {
    if (read_end >= 0) ::close(read_end);
    close_write();
  }
  void close_write() {
    if (write_end >= 0) ::close(write_end);
    write_end = -1;
  }
  void raw(const std::string& bytes) const { ASSERT_EQ(::write(write_end, bytes.data(), bytes.size()), (ssize_t)bytes.size()); }
};

Deadline soon() { return Clock::now() + std::chrono::seconds(5); }

TEST(Wire, EveryDtypeCrossesBitForBit) {
  Pipe pipe;
  Channel writer(-1, pipe.write_end), reader(pipe.read_end, -1);
  Message m;
  m.header["op"] = "forward";
  m.header["note"] = "caf\u00e9";
  const auto f64 = torch::randn({2, 3, 4}, torch::kFloat64);
  const auto f32 = torch::randn({5}, torch::kFloat32);
  const auto bf16 = torch::randn({3, 7}, torch::kFloat32).to(torch::kBFloat16);
  const auto i64 = torch::arange(-3, 9, torch::kInt64).reshape({3, 4}).t();  // not contiguous
  const auto empty = torch::empty({0, 4}, torch::kFloat64);
  m.tensors = {{"a", f64}, {"b", f32}, {"c", bf16}, {"d", i64}, {"e", empty}};
  std::thread send([&] { writer.write(m, soon()); });
  const auto got = reader.read(soon());
  send.join();
  EXPECT_EQ(got.header["op"], "forward");
  EXPECT_EQ(got.header["note"], "caf\u00e9");
  EXPECT_FALSE(got.header.contains("tensors"));
  ASSERT_EQ(got.tensors.size(), 5u);
  EXPECT_TRUE(torch::equal(got.tensor("a"), f64));
  EXPECT_TRUE(torch::equal(got.tensor("b"), f32));
  EXPECT_EQ(got.tensor("c").scalar_type(), torch::kBFloat16);
  EXPECT_TRUE(torch::equal(got.tensor("c").view(torch::kInt16), bf16.view(torch::kInt16)));
  EXPECT_TRUE(torch::equal(got.tensor("d"), i64));
  EXPECT_EQ(got.tensor("e").sizes(), empty.sizes());
  EXPECT_THROW(got.tensor("f"), ProtocolError);
}

TEST(Wire, TwoMessagesInOneReadAreTwoMessages) {
  Pipe pipe;
  Channel reader(pipe.read_end, -1);
  pipe.raw("{\"ok\": true}\n{\"ok\": false, \"error\": \"x\"}\n");
  EXPECT_EQ(reader.read(soon()).header["ok"], true);
  EXPECT_EQ(reader.read(soon()).header["error"], "x");
}

void expect_protocol_error(const std::string& bytes, const std::string& says) {
  Pipe pipe;
  Channel reader(pipe.read_end, -1);
  pipe.raw(bytes);
  pipe.close_write();
  try {
    reader.read(soon());
    ADD_FAILURE() << "no error for: " << bytes;
  } catch (const ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
  }
}

TEST(Wire, WhatIsNotAMessageIsAnErrorThatSaysWhat) {
  expect_protocol_error("hello from a port's print()\n", "expected a JSON object on one line, found \"hello from");
  expect_protocol_error("[1, 2]\n", "expected a JSON object");
  expect_protocol_error("{\"tensors\": 3}\n", "\"tensors\": expected an array, found 3");
  expect_protocol_error("{\"tensors\": [{\"name\": \"x\"}]}\n", "\"tensors\"[0]: expected {\"name\": string");
  expect_protocol_error("{\"tensors\": [{\"name\": \"x\", \"dtype\": \"complex64\", \"shape\": [1]}]}\n",
                        "unknown tensor dtype \"complex64\"");
  expect_protocol_error("{\"tensors\": [{\"name\": \"x\", \"dtype\": \"float32\", \"shape\": [-1]}]}\n",
                        "shape: expected non-negative integers");
  expect_protocol_error("{\"tensors\": [{\"name\": \"x\", \"dtype\": \"float64\", \"shape\": [1000000, 1000000]}]}\n",
                        "is over the 4 GiB a tensor may have");
}

TEST(Wire, APayloadCutShortIsTheOtherEndClosing) {
  Pipe pipe;
  Channel reader(pipe.read_end, -1);
  pipe.raw("{\"tensors\": [{\"name\": \"x\", \"dtype\": \"float64\", \"shape\": [4]}]}\n12345678");
  pipe.close_write();
  try {
    reader.read(soon());
    ADD_FAILURE() << "a truncated payload was accepted";
  } catch (const ChannelClosed& e) {
    EXPECT_NE(std::string(e.what()).find("24 bytes short of the tensors its header lists"), std::string::npos) << e.what();
  }
}

TEST(Wire, SilenceIsATimeoutNotAHang) {
  Pipe pipe;
  Channel reader(pipe.read_end, -1);
  pipe.raw("{\"ok\": tr");  // half a header, then nothing
  const auto start = Clock::now();
  EXPECT_THROW(reader.read(Clock::now() + std::chrono::milliseconds(300)), ChannelTimeout);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
}

TEST(Wire, TheEndOfInputIsAClosedChannel) {
  Pipe pipe;
  Channel reader(pipe.read_end, -1);
  pipe.close_write();
  EXPECT_THROW(reader.read(soon()), ChannelClosed);
}

}  // namespace
}  // namespace ttt::ports::wire
