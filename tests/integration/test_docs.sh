#!/usr/bin/env bash
# The user guide (docs/) executed: every ```sh and ```console block runs against
# a real `micro server`, and every output the guide shows is compared
# (tests/docs/run_docs.py says how). Fails when a documented output changes.
set -euo pipefail
: "${MICRO_BIN:?MICRO_BIN must point at the micro binary}"
: "${MICRO_SRC:?MICRO_SRC must point at the source tree}"
: "${MICRO_BUILD:?MICRO_BUILD must point at the build tree}"
# `micro run` builds services against libmicro without installing it
export PKG_CONFIG_PATH=$MICRO_BUILD/pkgconfig-uninstalled${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
/usr/bin/python3 "$MICRO_SRC/tests/docs/run_docs.py" --self-test
exec /usr/bin/python3 "$MICRO_SRC/tests/docs/run_docs.py" "$MICRO_BIN" "$MICRO_SRC/docs"
