#!/usr/bin/env bash
# Runs jest alone (no type-check first), for iterating on one suite: scripts/jest.sh test/e2e/x
cd "$(dirname "$0")/.." && NODE_OPTIONS="--experimental-vm-modules --no-warnings=ExperimentalWarning" exec node node_modules/jest/bin/jest.js "$@"
