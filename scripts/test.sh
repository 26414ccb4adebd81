#!/usr/bin/env bash
# The README's test command: installs, type-checks, lints, builds (some tests run
# the built worker as a real child process) and runs every test against a real Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

install_dependencies
echo "==> Type-check and lint"
npm run -s typecheck
npm run -s lint
build

export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379}"
if ! node scripts/redis-ping.js "$TEST_REDIS_URL"; then
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "The tests need a Redis: nothing answers at $TEST_REDIS_URL." >&2
    redis_missing_help
    exit 1
  fi
  dir=$(mktemp -d)
  port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  echo "==> No Redis at $TEST_REDIS_URL: starting a throwaway redis-server on port $port"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly no \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
  trap 'kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; rm -rf "$dir"' EXIT
  export TEST_REDIS_URL="redis://127.0.0.1:$port"
  wait_for_redis "$TEST_REDIS_URL"
fi

chromium_path=$(find_chromium)
if [ -z "$chromium_path" ]; then
  echo "==> NOTICE: no Chromium (set CHROMIUM_PATH, or install Debian's chromium: apt-get install chromium)."
  echo "    The dashboard's browser tests (test/dashboard.e2e-spec.ts) will be SKIPPED."
else
  echo "==> Browser tests: Chromium at $chromium_path"
fi

echo "==> Tests (Redis: $TEST_REDIS_URL)"
npx jest --ci --maxWorkers=2 "$@"
