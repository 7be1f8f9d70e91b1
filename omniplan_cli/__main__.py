"""`python -m omniplan_cli ...` is the `omniplan` command."""

import sys

from omniplan_cli.main import main

sys.exit(main())
