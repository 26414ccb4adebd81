#!/usr/bin/env bash
# The README's run command: install, build (only when a source changed since the last
# build), make sure a Redis is reachable, then start the API with an in-process
# worker. Ctrl-C stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

install_dependencies
build_if_stale

export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
if node scripts/redis-ping.js "$REDIS_URL"; then
  echo "==> Using the Redis at $REDIS_URL"
else
  host=$(node -e 'console.log(new URL(process.argv[1]).hostname)' "$REDIS_URL")
  port=$(node -e 'console.log(new URL(process.argv[1]).port || 6379)' "$REDIS_URL")
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "Nothing answers at $REDIS_URL." >&2
    redis_missing_help
    exit 1
  fi
  if [ "$host" != "127.0.0.1" ] && [ "$host" != "localhost" ]; then
    echo "Nothing answers at $REDIS_URL, and it is not a local address this command could start a Redis on." >&2
    exit 1
  fi
  data_dir="$PWD/.data/redis"
  mkdir -p "$data_dir"
  echo "==> Starting a local redis-server on port $port (AOF, appendfsync everysec, data in .data/redis)"
  # everysec: an fsync per second, so a power loss costs at most ~1 s of accepted jobs,
  # at a fraction of the cost of fsync on every write (docs/how-it-works.md).
  redis-server --port "$port" --bind 127.0.0.1 --dir "$data_dir" \
    --appendonly yes --appendfsync everysec --save "" \
    --daemonize yes --pidfile "$data_dir/redis.pid" --logfile "$data_dir/redis.log"
  if ! wait_for_redis "$REDIS_URL"; then
    echo "redis-server did not come up; see .data/redis/redis.log" >&2
    exit 1
  fi
  echo "    (it keeps running after the service stops: redis-cli -p $port shutdown)"
fi

port="${PORT:-3000}"
echo "==> Starting API + worker on http://localhost:$port"
echo "    Swagger UI: http://localhost:$port/docs   ReDoc: http://localhost:$port/redoc"
exec node dist/main.js
