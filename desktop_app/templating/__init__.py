"""Report templates: the data files that declare a report type (see docs/templates.md)."""
