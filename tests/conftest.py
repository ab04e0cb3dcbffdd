"""Test-session settings shared by every test directory."""
import os

# Ahead-of-time kernel libraries are built only where a test asks for them (tests/*/test_*aot.py set
# NEURODYN_AOT for their own subprocesses): a developer's NEURODYN_AOT=1 must not make every test that compiles a
# model also build a library.
os.environ["NEURODYN_AOT"] = "0"
