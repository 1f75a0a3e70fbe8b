"""`python -m bookbuild` is the `bookbuild` command."""

import sys

from bookbuild.cli import main

sys.exit(main())
