#!/usr/bin/env bash
# The main job: sets up, builds (release) and runs tern's demo, printing live
# stats. Today the demo is the async runtime on one core; it becomes the UDP
# engine on a virtual NIC driven by the traffic generator (issue 6).
#
#   scripts/demo.sh [seconds]     (default 5)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$here/scripts/setup.sh"
exec "$here/build/release/apps/demo/tern-demo" "${1:-5}"
