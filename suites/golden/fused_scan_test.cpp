// The fused CPU scan held to the layer's ATen path (suites/golden/fused_scan_check.cpp); the
// mutation suite shows the same check failing a fused pass without its causal mask.
#include "suites/support/check_test.h"

#include "fused/dual_scan.h"

#include <ATen/Parallel.h>

#include <functional>
#include <mutex>
#include <set>
#include <thread>

namespace ttt::checks {
namespace {

TEST(FusedScan, MatchesAtenPath) {
  for (const auto& check : checks_of("golden", false)) {
    if (check.name == "FusedScanMatchesAtenPath") return expect_check_passes(check);
  }
  FAIL() << "no check golden.FusedScanMatchesAtenPath";
}

// What a task runner does with 12 tasks (1 batch row x 12 heads, the bench's shape) at 2
// intra-op threads: the threads that ran them and how often each task ran.
struct TaskRuns {
  size_t threads = 0;
  std::vector<int> runs;
};

template <class Runner>
TaskRuns run_tasks(Runner runner) {
  const int before = at::get_num_threads();
  at::set_num_threads(2);
  std::mutex mutex;
  std::set<std::thread::id> threads;
  TaskRuns r;
  r.runs.assign(12, 0);
  runner(12, [&](int64_t begin, int64_t end) {
    std::lock_guard<std::mutex> lock(mutex);
    threads.insert(std::this_thread::get_id());
    for (int64_t i = begin; i < end; ++i) ++r.runs[i];
  });
  at::set_num_threads(before);
  r.threads = threads.size();
  return r;
}

// The heads run side by side: with 2 intra-op threads the scan's tasks land on 2 threads, each
// task exactly once.
TEST(FusedScan, TasksRunOnEveryIntraOpThread) {
  const auto r = run_tasks(detail::fused::for_each_task);
  EXPECT_EQ(r.threads, 2u) << "the fused scan's tasks ran on " << r.threads << " thread(s) with 2 intra-op threads";
  EXPECT_EQ(r.runs, std::vector<int>(12, 1)) << "every task must run exactly once";
}

// The bug this catches, as it was: at::parallel_for called from a file compiled without
// OpenMP (this one) runs every task on the calling thread, so the 2-thread scan was no faster.
TEST(FusedScanMutant, ParallelForCompiledWithoutOpenMPRunsOnOneThread) {
  const auto r = run_tasks([](int64_t tasks, const std::function<void(int64_t, int64_t)>& fn) {
    at::parallel_for(0, tasks, 1, fn);
  });
  EXPECT_EQ(r.threads, 1u) << "the mutant should run on one thread: the check above could not tell it apart";
  EXPECT_EQ(r.runs, std::vector<int>(12, 1));
}

}  // namespace
}  // namespace ttt::checks
