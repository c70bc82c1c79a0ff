#!/usr/bin/env bash
# A real local Redis Cluster for the tests and for trying Portcullis at scale: six redis-server
# processes (three masters, three replicas) on 127.0.0.1, joined with `redis-cli --cluster create`.
#
#   scripts/redis-cluster.sh up [BASE_PORT] [DIR]     ports BASE..BASE+5 (default 7100), state under DIR
#   scripts/redis-cluster.sh down [BASE_PORT] [DIR]   stops the six processes it started, removes DIR
#   scripts/redis-cluster.sh start-node PORT [DIR]    starts one node again (after a test killed it)
#   scripts/redis-cluster.sh nodes [BASE_PORT]        prints REDIS_CLUSTER_NODES for this cluster
#
# No persistence (--save "" --appendonly no): a node restarted empty rejoins as a replica. Node
# timeout 1.5 s so that a killed master is replaced within seconds. Only the processes whose pid
# files are under DIR are ever stopped.
set -euo pipefail
cd "$(dirname "$0")/.."

command_name=${1:-}
BASE=${2:-${REDIS_CLUSTER_BASE_PORT:-7100}}
DIR=${3:-${REDIS_CLUSTER_DIR:-.cluster/$BASE}}
NODE_TIMEOUT_MS=${REDIS_CLUSTER_NODE_TIMEOUT_MS:-1500}

ports() { seq "$BASE" $((BASE + 5)); }
busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_node() {
  local port=$1
  mkdir -p "$DIR/$port"
  redis-server --port "$port" --bind 127.0.0.1 --cluster-enabled yes \
    --cluster-config-file "nodes.conf" --cluster-node-timeout "$NODE_TIMEOUT_MS" \
    --dir "$(cd "$DIR/$port" && pwd)" --save "" --appendonly no \
    --daemonize yes --pidfile "$(cd "$DIR/$port" && pwd)/redis.pid" --logfile "redis.log" \
    --protected-mode no
}

wait_ok() {
  for _ in $(seq 1 150); do
    local ok=0
    for port in $(ports); do
      # Joined, and (for a replica) done with its first sync: a replica that never synced cannot take over.
      if redis-cli -p "$port" cluster info 2>/dev/null | grep -q '^cluster_state:ok' &&
        redis-cli -p "$port" info replication 2>/dev/null | grep -Eq '^(role:master|master_link_status:up)'; then
        ok=$((ok + 1))
      fi
    done
    [ "$ok" -eq 6 ] && return 0
    sleep 0.2
  done
  echo "the cluster on ports $BASE-$((BASE + 5)) did not reach cluster_state:ok" >&2
  return 1
}

case "$command_name" in
  up)
    for port in $(ports); do
      if busy "$port" || busy $((port + 10000)); then
        echo "port $port or its cluster bus port $((port + 10000)) is in use: pick another BASE_PORT" >&2
        exit 1
      fi
    done
    rm -rf "$DIR"
    for port in $(ports); do start_node "$port"; done
    for port in $(ports); do
      for _ in $(seq 1 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    done
    redis-cli --cluster create $(for port in $(ports); do printf '127.0.0.1:%s ' "$port"; done) \
      --cluster-replicas 1 --cluster-yes >"$DIR/create.log"
    wait_ok
    echo "Redis Cluster up: REDIS_CLUSTER_NODES=$("$0" nodes "$BASE")"
    ;;
  start-node)
    start_node "$BASE"
    ;;
  down)
    for port in $(ports); do
      pidfile="$DIR/$port/redis.pid"
      if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; fi
    done
    for port in $(ports); do
      for _ in $(seq 1 50); do busy "$port" || break; sleep 0.1; done
    done
    rm -rf "$DIR"
    ;;
  nodes)
    ports | sed 's/^/127.0.0.1:/' | paste -sd, -
    ;;
  *)
    echo "usage: $0 up|down|start-node|nodes [BASE_PORT] [DIR]" >&2
    exit 2
    ;;
esac
