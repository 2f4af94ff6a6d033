"""Entry point of the packaged app: the same program as ``baocaoxa`` / ``python -m desktop_app``."""

from desktop_app.cli import main

raise SystemExit(main())
