#!/usr/bin/env bash
# Join this machine to an automl-sparse Ray cluster as a worker node.
# See docs/cluster.md ("Run on a cluster").
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: workers/start-worker.sh HEAD [NUM_CPUS] [NUM_GPUS]

  HEAD      address of the Ray head node (host name or IP; port 6379 is added)
  NUM_CPUS  CPUs this node offers to trials (default: all cores)
  NUM_GPUS  GPUs this node offers to trials (default: all that Ray detects)

Environment:
  VENV            the project's virtual environment (default: <repo>/.venv)
  NODE_IP         this node's address as the head should reach it (default: Ray's guess)
  RAY_AUTH_TOKEN  the cluster's token, if ~/.ray/auth_token on this node does not hold it
                  (copy it from the head: ray get-auth-token)

Runs in the foreground (ray start --block): stop it with Ctrl-C, or run it under systemd.
The node needs the study database (AUTOML_SPARSE_STORAGE is passed by the coordinator, not
set here) reachable over the network and the shared artifact directory mounted at the same
path as on the head.
USAGE
}

if [[ $# -lt 1 || $# -gt 3 || "$1" == "-h" || "$1" == "--help" ]]; then
    usage
    [[ $# -ge 1 && ( "$1" == "-h" || "$1" == "--help" ) ]] && exit 0
    exit 2
fi

HEAD="$1"
NUM_CPUS="${2:-}"
NUM_GPUS="${3:-}"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$REPO/.venv}"

if [[ ! -x "$VENV/bin/ray" ]]; then
    echo "no Ray in $VENV: run  python3 -m venv $VENV && $VENV/bin/pip install -e '$REPO[ray]'" >&2
    exit 1
fi
# shellcheck disable=SC1091
source "$VENV/bin/activate"

# Token authentication: every process joining the cluster must present its token.
export RAY_AUTH_MODE=token
if [[ -z "${RAY_AUTH_TOKEN:-}" && ! -s "$HOME/.ray/auth_token" ]]; then
    echo "no Ray token: copy the head's ~/.ray/auth_token here or export RAY_AUTH_TOKEN" >&2
    exit 1
fi

args=(--address "$HEAD:6379" --block)
[[ -n "$NUM_CPUS" ]] && args+=(--num-cpus "$NUM_CPUS")
[[ -n "$NUM_GPUS" ]] && args+=(--num-gpus "$NUM_GPUS")
[[ -n "${NODE_IP:-}" ]] && args+=(--node-ip-address "$NODE_IP")

exec ray start "${args[@]}"
