"""Documents generated from a report: structured content, then .docx/.xlsx writers."""
