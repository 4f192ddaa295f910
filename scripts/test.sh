#!/usr/bin/env bash
# The project's test command: Rust tests, then pytest (strict), then asv in quick mode.
# Uses .venv when present (see README), else the current python.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=python3
[ -x .venv/bin/python ] && PY="$PWD/.venv/bin/python"

echo "== cargo test"
cargo test --workspace --exclude entrostat-py

echo "== pytest"
# Exit code 5 means no test was collected: that is a failure here.
set +e
"$PY" -m pytest -q -m "not gpu" "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests" >&2
    exit 1
fi
[ "$status" -eq 0 ] || exit "$status"

echo "== asv (quick, existing environment)"
cd benches
"$PY" -m asv machine --yes >/dev/null
"$PY" -m asv run --quick --environment "existing:$PY" --show-stderr --set-commit-hash "$(git rev-parse HEAD)" | tee /tmp/asv-quick.log
if grep -qE "[[:space:]]failed$|Traceback" /tmp/asv-quick.log; then
    echo "asv: a benchmark failed" >&2
    exit 1
fi
