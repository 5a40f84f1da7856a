import sys

from extdesk.cli import main

sys.exit(main())
