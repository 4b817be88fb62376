"""Entry point of the test bed: ``python -m tests.testbed up|down|status|env`` (see tests/bed)."""
import sys

from tests.bed.cli import main

if __name__ == "__main__":
    sys.exit(main())
