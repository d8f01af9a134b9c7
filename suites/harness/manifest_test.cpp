// MANIFEST.json: hashing, reading, and verifying a fixture against its entry.
#include <harness/fixture/manifest.h>

#include <gtest/gtest.h>

#include "fixture_builders.h"

#include <filesystem>

namespace ttt::harness::testing {
namespace {

constexpr const char* kAbcSha256 =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

void write_text(const std::string& path, const std::string& text) {
  write_bytes(path, {text.begin(), text.end()});
}

void write_manifest(const TempDir& dir, const nlohmann::json& files) {
  write_text(dir.file("MANIFEST.json"),
             nlohmann::json{{"schema_version", 1},
                            {"reference", "ttt-lm-pytorch"},
                            {"reference_commit", "abc"},
                            {"files", files}}
                 .dump(2));
}

// Expects read_manifest to throw naming the manifest and containing `detail`.
void ExpectMalformed(const TempDir& dir, const std::string& detail) {
  try {
    read_manifest(dir.path());
    ADD_FAILURE() << "no error; expected: " << detail;
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(dir.file("MANIFEST.json")), std::string::npos) << message;
    EXPECT_NE(message.find(detail), std::string::npos) << message;
  }
}

TEST(Sha256, KnownDigests) {
  TempDir dir;
  write_text(dir.file("abc"), "abc");
  EXPECT_EQ(sha256_file(dir.file("abc")), kAbcSha256);
  write_text(dir.file("empty"), "");
  EXPECT_EQ(sha256_file(dir.file("empty")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // Larger than one streaming buffer.
  write_text(dir.file("big"), std::string(200000, 'a'));
  EXPECT_EQ(sha256_file(dir.file("big")).size(), 64u);
  EXPECT_THROW(sha256_file(dir.file("absent")), std::runtime_error);
}

TEST(ReadManifest, AbsentIsNullopt) {
  TempDir dir;
  EXPECT_FALSE(read_manifest(dir.path()).has_value());
}

TEST(ReadManifest, ReadsEntries) {
  TempDir dir;
  write_manifest(dir, {{{"file", "a.h5"}, {"sha256", "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"},
                        {"case", "case_a"}, {"description", "first"}}});
  const auto manifest = read_manifest(dir.path());
  ASSERT_TRUE(manifest.has_value());
  EXPECT_EQ(manifest->path, dir.file("MANIFEST.json"));
  ASSERT_EQ(manifest->entries.size(), 1u);
  const ManifestEntry& entry = manifest->entries.at("a.h5");
  EXPECT_EQ(entry.sha256, kAbcSha256);  // normalised to lower case
  EXPECT_EQ(entry.case_id, "case_a");
  EXPECT_EQ(entry.description, "first");
}

TEST(ReadManifest, MalformedManifestsNameTheFile) {
  TempDir dir;
  write_text(dir.file("MANIFEST.json"), "{\"files\": [");
  ExpectMalformed(dir, "malformed manifest: [json.exception.parse_error");
  write_text(dir.file("MANIFEST.json"), "[]");
  ExpectMalformed(dir, "expected a JSON object");
  write_text(dir.file("MANIFEST.json"), "{\"schema_version\": 1}");
  ExpectMalformed(dir, "files must be an array");
  write_text(dir.file("MANIFEST.json"), "{\"schema_version\": 2, \"files\": []}");
  ExpectMalformed(dir, "schema_version must be 1, found 2");
  write_manifest(dir, {{{"sha256", kAbcSha256}}});
  ExpectMalformed(dir, "missing files[0].file");
  write_manifest(dir, {{{"file", "a.h5"}, {"sha256", "abc"}}});
  ExpectMalformed(dir, "files[0].sha256 is not 64 hex digits");
  write_manifest(dir, {{{"file", "a.h5"}, {"sha256", kAbcSha256}, {"case", 3}}});
  ExpectMalformed(dir, "files[0].case must be a string");
  write_manifest(dir, {{{"file", "a.h5"}, {"sha256", kAbcSha256}},
                       {{"file", "a.h5"}, {"sha256", kAbcSha256}}});
  ExpectMalformed(dir, "file a.h5 is listed twice");
  write_manifest(dir, {"a.h5"});
  ExpectMalformed(dir, "files[0] must be an object");
}

TEST(VerifyAgainstManifest, MatchMismatchAndNotListed) {
  TempDir dir;
  write_text(dir.file("a.h5"), "abc");
  write_text(dir.file("b.h5"), "abd");
  write_text(dir.file("c.h5"), "abc");
  write_manifest(dir, {{{"file", "a.h5"}, {"sha256", kAbcSha256}},
                       {{"file", "b.h5"}, {"sha256", kAbcSha256}}});
  const Manifest manifest = *read_manifest(dir.path());
  EXPECT_EQ(verify_against_manifest(manifest, dir.file("a.h5")), "");
  EXPECT_EQ(verify_against_manifest(manifest, dir.file("./a.h5")), "");
  EXPECT_EQ(verify_against_manifest(manifest, dir.file("b.h5")),
            "sha256 " + sha256_file(dir.file("b.h5")) + " differs from " + kAbcSha256 + " in " +
                manifest.path);
  EXPECT_EQ(verify_against_manifest(manifest, dir.file("c.h5")), "not listed in " + manifest.path);
}

TEST(VerifyAgainstManifest, FilesOutsideTheFolderAreNotListed) {
  TempDir dir;
  std::filesystem::create_directories(dir.file("sub"));
  write_text(dir.file("a.h5"), "abc");
  write_text(dir.file("sub/MANIFEST.json"),
             nlohmann::json{{"files", {{{"file", "../a.h5"}, {"sha256", kAbcSha256}}}}}.dump());
  const Manifest manifest = *read_manifest(dir.file("sub"));
  EXPECT_EQ(verify_against_manifest(manifest, dir.file("a.h5")).rfind("not listed in", 0), 0u);
}

TEST(VerifyAgainstManifest, UnreadableFileIsAReasonNotAnException) {
  TempDir dir;
  write_manifest(dir, {{{"file", "gone.h5"}, {"sha256", kAbcSha256}}});
  const Manifest manifest = *read_manifest(dir.path());
  EXPECT_NE(verify_against_manifest(manifest, dir.file("gone.h5")).find("cannot open"),
            std::string::npos);
}

}  // namespace
}  // namespace ttt::harness::testing
