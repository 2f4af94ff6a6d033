"""The domain: values and field kinds, validation, drafts, periods, administrative units, vi-VN
formats and text, report documents, and what an operation changed. No I/O, no Qt."""
