# Sourced by .ci/run. `logged FILE COMMAND...` runs COMMAND with its output into FILE and onto this
# terminal, and returns COMMAND's exit code as soon as COMMAND exits. Not `COMMAND | tee FILE`:
# tee reads until every process holding the pipe has closed it, so a child a test leaked (a
# server, a sleep) kept the run open until the child's own end, past CI's budget.
logged() {
  local file=$1
  shift
  : >"$file"
  "$@" >"$file" 2>&1 &
  local pid=$!
  tail -n +1 -s 0.2 -f --pid="$pid" "$file" &
  local tailer=$!
  local code=0
  wait "$pid" || code=$?
  wait "$tailer" || true
  return "$code"
}
