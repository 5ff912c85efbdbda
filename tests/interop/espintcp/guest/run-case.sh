#!/bin/bash
# Run one test case inside the guest: run-case.sh CASE_DIR FUNCTION [ARGS...]
# Exit status: 0 passed, 77 skipped, anything else failed.
set -u

CASE_DIR=$1
shift
GUEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export CASE_DIR GUEST_DIR

. "$GUEST_DIR/lib.sh"
. "$GUEST_DIR/cases.sh"

"$@"
