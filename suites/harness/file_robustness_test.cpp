// Files that are not fixtures at all, or are damaged: the loader always answers with a
// FixtureError naming the file, never a crash, a hang, an abort or a silent pass.
#include "h5_edit.h"
#include "fixture_assertions.h"

#include <harness/fixture/errors.h>
#include <harness/fixture/isolated_read.h>

#include <signal.h>
#include <unistd.h>

#include <random>

namespace ttt::harness::testing {
namespace {

FixtureOptions mlp_decode() {
  FixtureOptions options;
  options.layer_type = "mlp";
  options.mode = "decode";
  return options;
}

TEST(NotAFixture, MissingFile) {
  TempDir dir;
  ExpectLoadError(dir.file("absent.h5"), "cannot open: no such file");
}

TEST(NotAFixture, Directory) {
  TempDir dir;
  ExpectLoadError(dir.path(), "cannot open: not a regular file");
}

TEST(NotAFixture, EmptyFile) {
  TempDir dir;
  write_bytes(dir.file("empty.h5"), {});
  ExpectLoadError(dir.file("empty.h5"), "empty file (0 bytes), not an HDF5 file");
}

TEST(NotAFixture, TextFile) {
  TempDir dir;
  const std::string text = "schema_version = 1\n";
  write_bytes(dir.file("text.h5"), {text.begin(), text.end()});
  ExpectLoadError(dir.file("text.h5"), "not an HDF5 file (HDF5: ");
}

TEST(NotAFixture, TruncatedFile) {
  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture());
  std::vector<char> bytes = read_bytes(path);
  bytes.resize(bytes.size() / 2);
  write_bytes(path, bytes);
  ExpectLoadError(path, "truncated file");
}

TEST(NotAFixture, ImagesFailLikeFiles) {
  const std::string text = "not hdf5";
  ExpectFixtureError([&] { load_fixture_image(text.data(), text.size(), "mem"); },
                     "not an HDF5 file", "mem");
  ExpectFixtureError([&] { load_fixture_image(nullptr, 0, "mem"); }, "empty file", "mem");
  ExpectFixtureError([&] { load_fixture_image(text.data(), 0, "mem"); }, "empty file", "mem");
}

// Every prefix of a valid file is refused cleanly.
TEST(Damage, EveryTruncationIsRefused) {
  TempDir dir;
  const std::vector<char> bytes = read_bytes(WriteTemp(dir, make_fixture()));
  for (std::size_t size = 1; size < bytes.size(); size += 97) {
    EXPECT_THROW(load_fixture_image(bytes.data(), size, "cut"), FixtureError) << size;
  }
}

// Flipped bytes anywhere: a FixtureError or a fixture that validates; nothing else. HDF5
// 1.10 itself segfaults or loops on some of these (corrupt global heap entries behind
// variable-length strings); the child-process read turns those into FixtureErrors.
TEST(Damage, FlippedBytesNeverEscapeAsAnythingButFixtureError) {
  detail::isolation_settings().timeout_seconds = 3;  // a clean read of this file takes ms
  TempDir dir;
  const std::vector<char> original = read_bytes(WriteTemp(dir, make_fixture(mlp_decode())));
  std::mt19937 random(1234);
  std::uniform_int_distribution<std::size_t> position(0, original.size() - 1);
  int refused = 0;
  for (int trial = 0; trial < 800; ++trial) {
    std::vector<char> bytes = original;
    const std::size_t at = position(random);
    bytes[at] = static_cast<char>(bytes[at] ^ (1 << (trial % 8)));
    try {
      const Fixture fixture = load_fixture_image(bytes.data(), bytes.size(), "flipped");
      validate_fixture(fixture);
    } catch (const FixtureError& e) {
      EXPECT_EQ(e.file(), "flipped");
      ++refused;
    }
  }
  EXPECT_GT(refused, 0);
  detail::isolation_settings() = {};
}

// The child-process read: what the caller sees when HDF5 crashes, hangs or refuses.
TEST(Isolation, CrashInTheChildBecomesAnError) {
  try {
    detail::run_in_child_first([] { ::raise(SIGSEGV); });
    ADD_FAILURE() << "no error";
  } catch (const detail::DetailError& e) {
    // "(signal 11, ...)", or under a sanitizer, whose SEGV handler exits, "(the reader exited".
    EXPECT_NE(std::string(e.what()).find("the HDF5 library crashed reading this file ("),
              std::string::npos) << e.what();
  }
}

TEST(Isolation, HangInTheChildBecomesAnError) {
  detail::isolation_settings().timeout_seconds = 1;
  try {
    detail::run_in_child_first([] { ::sleep(30); });
    ADD_FAILURE() << "no error";
  } catch (const detail::DetailError& e) {
    EXPECT_NE(std::string(e.what()).find("did not finish reading this file within 1 s"),
              std::string::npos) << e.what();
  }
  detail::isolation_settings() = {};
}

TEST(Isolation, TheChildsOwnErrorIsPassedThrough) {
  try {
    detail::run_in_child_first([] { detail::fail("dataset /x: expected this"); });
    ADD_FAILURE() << "no error";
  } catch (const detail::DetailError& e) {
    EXPECT_STREQ(e.what(), "dataset /x: expected this");
  }
  EXPECT_NO_THROW(detail::run_in_child_first([] {}));
}

TEST(Isolation, InProcessReadingGivesTheSameAnswers) {
  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture());
  detail::isolation_settings().enabled = false;
  EXPECT_NO_THROW(load_fixture(path));
  ExpectLoadError(dir.file("absent.h5"), "cannot open: no such file");
  detail::isolation_settings() = {};
}

TEST(Structure, SizesAreCheckedBeforeAllocating) {
  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture());
  {
    H5Edit edit(path);
    edit.create_group("/intermediates");
    edit.put_unwritten_dataset("/intermediates/huge", H5T_IEEE_F32LE, {1u << 30, 4}, {1024, 4});
  }
  ExpectLoadError(path, "dataset /intermediates/huge: shape [1073741824, 4] of float32 is larger "
                        "than the reader's limit of 2147483648 bytes");
}

TEST(Structure, HugeChunksAreRefusedBeforeAllocating) {
  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture());
  {
    H5Edit edit(path);
    edit.create_group("/intermediates");
    edit.put_unwritten_dataset("/intermediates/wide_chunks", H5T_IEEE_F32LE, {4}, {600000000},
                               /*unlimited=*/true);
  }
  ExpectLoadError(path, "dataset /intermediates/wide_chunks: chunk [600000000] is larger than "
                        "the reader's limit of 2147483648 bytes");
}

TEST(Structure, NullDataspaceIsRefused) {
  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture());
  H5Edit(path).put_null_dataset("/params/W1", H5T_IEEE_F32LE);
  ExpectLoadError(path, "dataset /params/W1: has a null dataspace (no values)");
}

TEST(Structure, HugeMainInputIsRefusedBeforeAllocating) {
  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture());
  H5Edit(path).put_unwritten_dataset("/inputs/hidden_states", H5T_IEEE_F64LE,
                                     {1ull << 40, 3, kHidden}, {1, 3, kHidden});
  ExpectLoadError(path, "larger than the reader's limit");
}

TEST(Structure, GroupWhereADatasetBelongs) {
  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture());
  {
    H5Edit edit(path);
    edit.remove("/outputs/output");
    edit.create_group("/outputs/output");
  }
  ExpectLoadError(path, "expected dataset /outputs/output, found a group");
}

TEST(Structure, DatasetWhereAGroupBelongs) {
  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture());
  {
    H5Edit edit(path);
    edit.remove("/params");
    const std::vector<float> values(3, 0.0f);
    edit.put_dataset("/params", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {3}, values.data());
  }
  ExpectLoadError(path, "expected group /params, found a dataset");
}

TEST(Structure, ExternalLinksAreNotFollowed) {
  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture());
  const std::string other = WriteTemp(dir, make_fixture(), "other.h5");
  {
    H5Edit edit(path);
    edit.remove("/outputs/output");
    edit.external_link(other, "/outputs/output", "/outputs/output");
  }
  ExpectLoadError(path, "link /outputs/output points into another file");
}

TEST(Structure, SoftLinksInsideTheFileAreFollowed) {
  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture());
  {
    H5Edit edit(path);
    edit.create_group("/stash");
    edit.remove("/outputs/output");
    const Fixture valid = make_fixture();
    const Array& output = valid.outputs.at("output");
    edit.put_dataset("/stash/output", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {2, 3, kHidden},
                     output.data.data());
    edit.soft_link("/stash/output", "/outputs/output");
  }
  EXPECT_NO_THROW(load_fixture(path));
}

TEST(Structure, DanglingSoftLinkIsRefused) {
  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture());
  {
    H5Edit edit(path);
    edit.remove("/outputs/output");
    edit.soft_link("/nowhere", "/outputs/output");
  }
  ExpectLoadError(path, "cannot open /outputs/output");
}

TEST(Structure, ScalarWhereATensorBelongs) {
  TempDir dir;
  const std::string path = WriteTemp(dir, make_fixture());
  const float value = 1.0f;
  H5Edit(path).put_dataset("/params/post_norm.bias", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {}, &value);
  ExpectLoadError(path, "dataset /params/post_norm.bias: expected shape [8] (C), found []");
}

}  // namespace
}  // namespace ttt::harness::testing
