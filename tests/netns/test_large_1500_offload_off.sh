#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Large packets through every hook at MTU 1500 with GRO/TSO/GSO off on the veths:
# a TCP transfer the rules allow arrives byte-exact, blocked traffic
# delivers nothing, 20,000 and 60,000-byte UDP datagrams from a blocked
# source and to a blocked port are dropped under both malformed policies,
# and the rules count what was on the wire (see tests/lib/large.sh).
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/netns.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/netns.sh"
# shellcheck source=SCRIPTDIR/../lib/large.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/large.sh"

efw_test_prereqs
efw_large_run 1500 off
