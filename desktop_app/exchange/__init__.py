"""Exchange with other units: sync bundles (format, reading, importing, parts) and signing keys."""
