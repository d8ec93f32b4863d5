"""`python -m workspace`: serve the mocked workspace (see `workspace.server`)."""

import sys

from workspace.server import main

sys.exit(main())
