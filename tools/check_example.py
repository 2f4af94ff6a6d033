"""Developer aid: validate a report JSON document and print its document text.

    python tools/check_example.py resources/examples/cao-diem-dvctt.json
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from desktop_app.documents.content import DocumentBuilder  # noqa: E402
from desktop_app.domain.reportdoc import ReportDocumentError, parse_document  # noqa: E402
from desktop_app.templating.registry import TemplateRegistry  # noqa: E402
from desktop_app.domain.validation import Validator  # noqa: E402


def main(path: str) -> int:
    registry = TemplateRegistry()
    for problem in registry.problems:
        print("TEMPLATE PROBLEM:", problem)
    try:
        doc, template = parse_document(json.loads(Path(path).read_text(encoding="utf-8")), registry)
    except ReportDocumentError as exc:
        print("DOCUMENT PROBLEMS:\n" + str(exc))
        return 1
    validator = Validator(template)
    result = validator.validate(doc.values, {"villages": doc.unit.get("villages")})
    for issue in result.issues:
        print(issue.severity.upper(), issue.field_id, issue.message)
    print("=" * 70)
    print(DocumentBuilder(template, validator).build(doc.to_json(), result).plain_text())
    return 1 if result.errors else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
