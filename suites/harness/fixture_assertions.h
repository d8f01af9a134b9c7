#pragma once
// Assertions shared by the fixture tests.

#include <harness/fixture/fixture.h>

#include <gtest/gtest.h>

#include "fixture_builders.h"

#include <string>

namespace ttt::harness::testing {

// Runs `body` and checks that it throws FixtureError whose detail contains `expected` and,
// when `file` is given, that names `file`.
template <class Body>
void ExpectFixtureError(Body&& body, const std::string& expected, const std::string& file = "") {
  try {
    body();
    ADD_FAILURE() << "no FixtureError; expected one containing: " << expected;
  } catch (const FixtureError& e) {
    EXPECT_NE(std::string(e.what()).find(expected), std::string::npos)
        << "message: " << e.what() << "\nexpected to contain: " << expected;
    if (!file.empty()) {
      EXPECT_EQ(e.file(), file);
    }
  }
}

inline void ExpectInvalid(const Fixture& fixture, const std::string& expected) {
  ExpectFixtureError([&] { validate_fixture(fixture); }, expected, fixture.file);
}

// Writes `fixture` to `name` in `dir` and returns the path.
inline std::string WriteTemp(const TempDir& dir, const Fixture& fixture,
                             const std::string& name = "fixture.h5") {
  const std::string path = dir.file(name);
  write_fixture(fixture, path);
  return path;
}

inline void ExpectLoadError(const std::string& path, const std::string& expected) {
  ExpectFixtureError([&] { load_fixture(path); }, expected, path);
}

}  // namespace ttt::harness::testing
