import sys

from .harness import main

raise SystemExit(main(sys.argv[1:]))
