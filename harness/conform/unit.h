#pragma once
// One line of a port's conformance run (a golden case or a property check) as a verdict,
// whatever the port did: what it could not offer is NOT_SUPPORTED, what it raised, crashed or
// hung on is an ERROR of the port, and the run goes on.

#include <reports/verdict.h>

#include <functional>

namespace ttt::conform {

// Runs `body` on `result` (which names the case) and times it; body sets the status (or calls
// harness::decide). PortFailure::Kind::NotSupported -> NOT_SUPPORTED; every other PortFailure,
// and anything else the body throws because of what the port answered -> ERROR, source port;
// harness::FixtureError -> ERROR, source input.
harness::CaseResult run_unit(harness::CaseResult result, const std::function<void(harness::CaseResult&)>& body);

}  // namespace ttt::conform
