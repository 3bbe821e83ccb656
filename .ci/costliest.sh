# Sourced by .ci/run. `costliest PROFILE ROOT` prints the total and the 8 test files that cost the
# most CPU from RAPFS_TEST_CPU_PROFILE's lines (CPU s, wall s, file), paths shown below ROOT.
# Not `sort | head`: head exits after 8 lines, sort dies of SIGPIPE writing the rest, and under
# pipefail that 141 ended CI after every test had passed.
costliest() {
  local profile=$1 root=$2
  awk -F'\t' '{ cpu += $1; files++ } END { printf "test files: %d, %.0f s of CPU; the costliest (CPU s, wall s, file):\n", files, cpu }' "$profile"
  sort -rn "$profile" | sed -n "1,8{s|$root/||; s/^/  /; p}"
}
