"""The nightly GPU job as Slurm jobs, on a real Slurm (label slurm, nightly tier).

Starts a one-node cluster on this machine (scripts/slurm/one-node-cluster: munged, slurmctld,
slurmd on loopback, every file in a scratch folder), then runs the job as a team would,
through scripts/slurm/submit-nightly, as the CPU rehearsal (TTT_NIGHTLY_DEVICE=cpu, no gres):
  1. three array tasks and the merge: the merged report holds the unsharded run's cases,
     verdicts and lines, the night passes and is kept in the history;
  2. the same night with one array task cancelled (scancel of one element): the merge still
     runs, names the missing shard (an ERROR case "shard 2/3" in the report, the message in
     its log), fails (exit 2) and keeps the night out of the history.
Without slurm-wlm and munge (scripts/nightly installs them) it prints SKIPPED and exits 77,
which ctest reports as skipped, never passed. The daemons are stopped however it ends.

  test_slurm_nightly.py --source DIR --build-dir DIR [--work DIR]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The shard's benchmark step, cut to one tiny C++ case: what is tested is the scheduling, and a
# fresh clone has no upstream checkout for the reference's side (bench/run would exit 2).
BENCH_ARGS = ("--no-build --no-memory --no-cuda --no-reference --filter decode/linear/float32/cpu --lengths 64 "
              "--decode-prompt 32 --decode-batches 1 --repetitions 1 --rounds 1 --min-time 0.01")


def run(command, env, check=True, timeout=1200, cwd=None):
    print("$", " ".join(map(str, command)), flush=True)
    done = subprocess.run(list(map(str, command)), env=env, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    if check and done.returncode != 0:
        raise AssertionError(f"{command[0]} exited {done.returncode}")
    return done


def job_fields(job_id, env):
    """Each record of `scontrol show job -o` (an array gives one per task) as a dict."""
    out = subprocess.run(["scontrol", "show", "job", "-o", str(job_id)], env=env, capture_output=True, text=True).stdout
    records = []
    for line in out.splitlines():
        fields = {}
        for word in line.split():
            key, _, value = word.partition("=")
            fields.setdefault(key, value)
        records.append(fields)
    return records


def wait_for_end(job_id, env, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        records = job_fields(job_id, env)
        if records and all(r.get("JobState") in ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL",
                                                  "OUT_OF_MEMORY") for r in records):
            return records
        time.sleep(2)
    raise AssertionError(f"job {job_id} did not end within {timeout} s")


def submitted_ids(stdout):
    ids = {}
    for line in stdout.splitlines():
        words = line.split()
        if len(words) >= 3 and words[1] == "job" and words[0] in ("array", "merge"):
            ids[words[0]] = words[2].rstrip(":")
    return ids


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--source", type=Path, required=True)
    p.add_argument("--build-dir", type=Path, required=True)
    p.add_argument("--work", type=Path, default=None)
    args = p.parse_args()
    missing = [t for t in ("munged", "slurmctld", "slurmd", "sbatch", "scontrol", "scancel") if not shutil.which(t)]
    if missing:
        print(f"SKIPPED: {', '.join(missing)} not installed (apt-get install slurm-wlm munge; scripts/nightly does)")
        return 77
    started = time.monotonic()
    work = args.work or Path(tempfile.mkdtemp(prefix="ttt-slurm-"))
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    cluster = work / "cluster"
    source = args.source.resolve()
    env = dict(os.environ, TTT_NIGHTLY_DEVICE="cpu", TTT_NIGHTLY_BENCH_ARGS=BENCH_ARGS,
               SLURM_CONF=str(cluster / "slurm.conf"))
    harness = args.build_dir / "harness" / "cli" / "ttt-harness"
    submit = source / "scripts" / "slurm" / "submit-nightly"
    history = work / "history"
    try:
        run([source / "scripts" / "slurm" / "one-node-cluster", "start", cluster], env)
        run(["sinfo"], env)

        # The unsharded run the merged night must equal.
        whole_path = work / "whole.json"
        # From the checkout, as the shards run it: the report names files as given ("fixtures/...").
        run([harness, "check", "fixtures", "--device", "cpu", "--json", whole_path], env, cwd=source)
        whole = sorted(json.loads(whole_path.read_text())["cases"], key=lambda c: c["file"])

        print("\n=== night 1: three shards and the merge", flush=True)
        night1 = run([submit, "--shards", 3, "--gres", "", "--no-build", "--out", work / "nights1",
                      "--history", history, "--wait"], env, check=False)
        ids = submitted_ids(night1.stdout)
        expect(night1.returncode == 0, f"night 1 exited {night1.returncode}")
        tasks = job_fields(ids["array"], env)
        print("jobs:", *(f"{r.get('JobId')} (array {r.get('ArrayJobId')}_{r.get('ArrayTaskId')}) {r.get('JobState')} "
                         f"exit {r.get('ExitCode')}" for r in tasks), sep="\n  ")
        merge = job_fields(ids["merge"], env)[0]
        print(f"  merge {ids['merge']} {merge.get('JobState')} exit {merge.get('ExitCode')}")
        expect(len(tasks) == 3 and all(r["JobState"] == "COMPLETED" for r in tasks), "not every task completed")
        expect(merge.get("JobState") == "COMPLETED", "the merge job did not complete")
        night_dir = next((work / "nights1").glob("night-*"))
        merged = json.loads((night_dir / "report.json").read_text())
        expect([(c["file"], c["status"], c["line"]) for c in merged["cases"]] ==
               [(c["file"], c["status"], c["line"]) for c in whole], "the merged cases differ from the unsharded run's")
        expect(merged["summary"] == json.loads(whole_path.read_text())["summary"], "the merged summary differs")
        expect(len(merged["merged_from"]) == 3, "not three shards merged")
        kept = sorted(history.glob("night-*.json"))
        expect(len(kept) == 1 and (history / "history.html").exists(), "night 1 was not kept in the history")
        print(f"merged night 1: {merged['summary']['passed']} passed, {merged['summary']['failed']} failed, "
              f"{len(merged['cases'])} cases from 3 shards")

        print("\n=== night 2: the second array task cancelled", flush=True)
        night2 = run([submit, "--shards", 3, "--gres", "", "--no-build", "--out", work / "nights2",
                      "--history", history], env)
        ids = submitted_ids(night2.stdout)
        # Killed while it runs, as a node failure or the time limit would end it.
        deadline = time.monotonic() + 300
        running = False
        while time.monotonic() < deadline and not running:
            running = any(r.get("ArrayTaskId") == "1" and r.get("JobState") == "RUNNING"
                          for r in job_fields(ids["array"], env))
            time.sleep(0.5)
        expect(running, "task 1 was never seen running: nothing to kill")
        run(["scancel", f"{ids['array']}_1"], env)
        tasks = wait_for_end(ids["array"], env, 900)
        merge = wait_for_end(ids["merge"], env, 900)[0]
        print("jobs:", *(f"{r.get('JobId')} (array {r.get('ArrayJobId')}_{r.get('ArrayTaskId')}) {r.get('JobState')} "
                         f"exit {r.get('ExitCode')}" for r in tasks), sep="\n  ")
        print(f"  merge {ids['merge']} {merge.get('JobState')} exit {merge.get('ExitCode')}")
        states = {r["ArrayTaskId"]: r["JobState"] for r in tasks}
        expect(states.get("1") == "CANCELLED", f"task 1 was not cancelled: {states}")
        expect(merge.get("JobState") == "FAILED" and merge.get("ExitCode") == "2:0",
               f"the merge of a night with a cancelled shard ended {merge.get('JobState')} {merge.get('ExitCode')}")
        night_dir = next((work / "nights2").glob("night-*"))
        log = (night_dir / f"slurm-merge-{ids['merge']}.out").read_text()
        print("merge log:\n" + log)
        expect("shard 2/3 is missing" in log, "the merge log does not name the missing shard")
        expect("task 1: CANCELLED" in log, "the merge log does not give the cancelled task's state")
        merged = json.loads((night_dir / "report.json").read_text())
        expect(merged["cases"][0]["file"] == "shard 2/3" and merged["cases"][0]["status"] == "ERROR",
               "the merged report does not name the missing shard as an ERROR case")
        expect(merged["summary"]["exit_code"] == 2, "the merged report of a partial night is not red")
        expect(len(sorted(history.glob("night-*.json"))) == 1, "a partial night was kept in the history")
        print(f"\nPASSED in {time.monotonic() - started:.0f} s")
        return 0
    finally:
        subprocess.run([str(source / "scripts" / "slurm" / "one-node-cluster"), "stop", str(cluster)], env=env)


if __name__ == "__main__":
    sys.exit(main())
