"""BaoCaoXa core: report templates, validation, storage services and the CLI.

This package never imports Qt; the desktop UI lives in the top-level ``ui`` package.
"""

__version__ = "0.1.0"
APP_NAME = "BaoCaoXa"
