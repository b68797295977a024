#!/usr/bin/env bash
# Gradescope autograder set-up: runs once, as root, when the autograder image is built.
# Zip this folder's setup.sh and run_autograder with symgrad's source beside them:
#   cp -r examples/gradescope autograder && git archive --prefix=symgrad/ HEAD | tar -x -C autograder
#   (cd autograder && zip -r ../autograder.zip .)
# Gradescope unpacks the zip into /autograder/source. Optional there: points.toml (points
# per question, "1.1.a" = 2) and set.txt (the problem set's name, e.g. hw2-spring2021).
set -euo pipefail
SOURCE="${SYMGRAD_SOURCE:-/autograder/source/symgrad}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends python3 python3-pip python3-venv >/dev/null
python3 -m venv /opt/symgrad
if [ -d "$SOURCE" ]; then
  /opt/symgrad/bin/pip install -q "$SOURCE"
else
  /opt/symgrad/bin/pip install -q symgrad
fi
/opt/symgrad/bin/symgrad --version
