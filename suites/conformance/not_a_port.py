"""A program that does not speak the port protocol (test-only): it answers every request with
a line of text. `conform --port exec:...` must call that a broken protocol, one ERROR line,
never a verdict."""

import sys

for line in sys.stdin.buffer:
    sys.stdout.write("hello, I am not a protocol message\n")
    sys.stdout.flush()
