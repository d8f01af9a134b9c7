# Sourced by scripts/nightly-gpu and scripts/slurm/nightly-merge.sbatch: the history of nights
# (a folder of reports named night-<time>-<commit>.json) that both keep the same way.
#
#   last_night HIST                       prints the newest night's report (nothing if none)
#   keep_night REPORT HIST HARNESS PYTHON copies REPORT into HIST under its night's name and
#                                         redraws HIST/history.json and history.html; the
#                                         exit status is `ttt-harness history`'s
last_night() {
  ls "$1"/night-*.json 2>/dev/null | sort | tail -n 1
}

keep_night() {
  local report="$1" history="$2" harness="$3" python="$4" name
  name="$("$python" -c 'import json, sys; r = json.load(open(sys.argv[1])); print("night-" + r["generated_utc"].replace(":", "") + "-" + r["environment"].get("git_commit", "")[:10] + ".json")' "$report")" \
    || return 2
  mkdir -p "$history"
  cp "$report" "$history/$name"
  echo "kept: $history/$name"
  "$harness" history "$history" --json "$history/history.json" --html "$history/history.html"
}
