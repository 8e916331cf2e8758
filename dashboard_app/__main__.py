"""``python -m dashboard_app``: the same as the ``neo-explorer`` command."""

import sys

from dashboard_app.cli import main

sys.exit(main())
