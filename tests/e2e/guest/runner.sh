#!/bin/sh
# runner.sh: runs the scenarios named in /e2e/plan (one per line, written by
# the host for this boot), in order, each in its own subshell with lib.sh
# sourced, after restoring the baseline state.  Prints BEGIN/END around each
# scenario and DONE at the end, so the host can tell a finished scenario from
# one that hung or crashed the guest.
# variables the host passes to the guest (E2E_CMD_TIMEOUT, ...), then the library
[ -f /e2e/env ] && . /e2e/env
. /e2e/lib.sh

res "E2E: BOOT kernel=$(uname -r) uptime=$(cut -d' ' -f1 /proc/uptime)s pf=$PF_PCI vfnet=$(vfnet --version 2>&1 | head -n 1)"

while read -r name; do
  [ -n "$name" ] || continue
  res "E2E: BEGIN $name"
  t0=$(now)
  (
    # shellcheck disable=SC2034  # read by lib.sh
    E2E_SCENARIO=$name
    # shellcheck source=lib.sh
    . /e2e/lib.sh
    # report the last step even if the scenario calls `exit`
    trap step_close EXIT
    if setup "baseline (igb bound, autoprobe on, no config)" baseline; then
      # shellcheck disable=SC1090
      . "/e2e/scenarios/$name.sh"
    fi
  ) < /dev/null   # scenarios must not eat the plan this loop reads
  res "E2E: END $name status=$? took=$(elapsed "$t0")s"
done < /e2e/plan

# steps find their kernel messages by line number: the log must not wrap
dmesg | head -n 1 | grep -q 'Linux version' || res "E2E: INFO runner: the kernel log wrapped; dmesg checks may be wrong (raise log_buf_len)"
res "E2E: DONE uptime=$(cut -d' ' -f1 /proc/uptime)s"
