# Shared by quickstart.sh and test.sh (sourced, not run).

# Installs dependencies when node_modules is missing or older than the lock file.
install_dependencies() {
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "==> Installing dependencies (npm ci)"
    npm ci --no-audit --no-fund
  fi
}

# What the build reads. A change to any of these files, or a file added, renamed or
# removed under src/ (which changes its folder's mtime), makes dist/ stale.
BUILD_INPUTS=(src package.json package-lock.json tsconfig.json tsconfig.build.json nest-cli.json)
# Written into dist/ after a successful build, with the mtime of the build's start: a
# source saved while the build ran is newer than it, so the next run builds again.
BUILD_STAMP=dist/.build-stamp

# Builds dist/ and stamps it.
build() {
  echo "==> Building"
  local started=.build-started
  rm -f "$started"
  : >"$started"
  if ! npm run -s build; then
    rm -f "$started"
    return 1
  fi
  mv "$started" "$BUILD_STAMP" # nest build empties dist/ first: the stamp goes in after
}

# Builds only when a build input changed since the last stamped build (or there is none).
build_if_stale() {
  if [ -f "$BUILD_STAMP" ] &&
    [ -z "$(find "${BUILD_INPUTS[@]}" -newer "$BUILD_STAMP" -print -quit 2>/dev/null)" ]; then
    echo "==> dist/ is up to date with the sources: not rebuilding"
    return 0
  fi
  build
}

redis_missing_help() {
  cat >&2 <<'HELP'
No Redis answers, and there is no `redis-server` on the PATH to start one.
Get Redis 6.2 or newer (7 recommended), then run this command again:
  Debian/Ubuntu:  sudo apt-get install redis-server
  macOS:          brew install redis
  Docker:         docker run -d -p 6379:6379 redis:7
Or point REDIS_URL at a Redis you already have, e.g. REDIS_URL=redis://host:6379
HELP
}

# wait_for_redis URL: up to ~10 s.
wait_for_redis() {
  for _ in $(seq 1 100); do
    node scripts/redis-ping.js "$1" && return 0
    sleep 0.1
  done
  return 1
}

# Prints the Chromium the dashboard's browser tests use (CHROMIUM_PATH, else chromium or
# chromium-browser on the PATH), or nothing. test/support/browser.ts applies the same rules.
find_chromium() {
  if [ -n "${CHROMIUM_PATH:-}" ]; then
    echo "$CHROMIUM_PATH"
    return
  fi
  command -v chromium 2>/dev/null || command -v chromium-browser 2>/dev/null || true
}
