#pragma once
// The mission's property checks written against the port interface (ports/port.h), so that
// any port can be held to them, not only this repository's layer: one registry, each entry
// named after what it proves and tagged with the shipped incident it exists for (README, "The
// mission"; docs/PORTS.md has the table). `conform` runs every entry on the port under test,
// one line each (`check/<id>`).
//
// A check builds its layers from seeded random parameters (this repository's generator, by
// upstream state_dict names) and sees the port only through build / forward / set_use_rope /
// stream / its answers' devices. What it cannot run it says: SKIP where this machine cannot
// (no CUDA device), NOT_SUPPORTED where the port does not offer it (no use_rope switch, no
// streaming); never PASS. A port that raises, crashes or hangs in a check makes it an ERROR
// (the caller's, harness/conform/unit.h).

#include <ports/port.h>
#include <reports/verdict.h>

#include <functional>
#include <string>
#include <vector>

namespace ttt::conform {

struct PortCheck {
  std::string id;    // e.g. "rope.position_modulo"; the line names it "check/<id>"
  int incident = 0;  // the shipped bug (1..5, README "The mission") it exists for; 0: none
  std::string what;  // what a PASS proves, one line
  // Fills status, message (the figure that decided it) and comparisons; throws PortFailure
  // when the port does.
  std::function<void(ports::Port&, const ports::PortIdentity&, harness::CaseResult&)> run;
};

// Every check, in the order conform runs them.
const std::vector<PortCheck>& port_checks();

// The line id of a check: "check/<id>".
std::string check_case_id(const PortCheck& check);

}  // namespace ttt::conform
