"""All report templates the app knows: the bundled ones and those installed later.

A template that fails to load is kept out and its problems are remembered, so one bad
file never stops the app; ``templates list`` shows them.
"""

from __future__ import annotations

from pathlib import Path

from desktop_app.paths import resource
from desktop_app.templating.loader import Problem, load_template
from desktop_app.templating.model import Template

TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json")


class TemplateNotFound(LookupError):
    pass


class TemplateRegistry:
    def __init__(self, folders: list[Path] | None = None):
        self.folders = folders if folders is not None else [resource("templates")]
        self._templates: dict[tuple[str, str], Template] = {}
        self.sources: dict[tuple[str, str], Path] = {}  # where each template was read from
        self.problems: list[Problem] = []
        self.reload()

    def reload(self) -> None:
        self._templates.clear()
        self.sources.clear()
        self.problems.clear()
        for folder in self.folders:
            if not folder.is_dir():
                continue
            for path in sorted(folder.iterdir()):
                if path.suffix.lower() in TEMPLATE_SUFFIXES and path.is_file():
                    template, problems = load_template(path)
                    self.problems += problems
                    if template is None:
                        continue
                    if template.key in self._templates:
                        self.problems.append(Problem(path.name, None, "", (
                            f"trùng mã «{template.id}» và phiên bản {template.version} với một mẫu đã có; "
                            "tệp này bị bỏ qua (hãy tăng số phiên bản)")))
                        continue
                    self._templates[template.key] = template
                    self.sources[template.key] = path

    def all(self) -> list[Template]:
        return sorted(self._templates.values(), key=lambda t: (t.id, _version_key(t.version)))

    def latest(self) -> list[Template]:
        newest: dict[str, Template] = {}
        for t in self.all():
            newest[t.id] = t
        return list(newest.values())

    def get(self, template_id: str, version: str | None = None) -> Template:
        if version is not None:
            found = self._templates.get((template_id, version))
            if found is None:
                raise TemplateNotFound(f"Không có mẫu báo cáo «{template_id}» phiên bản {version}.")
            return found
        candidates = [t for t in self.all() if t.id == template_id]
        if not candidates:
            raise TemplateNotFound(f"Không có mẫu báo cáo «{template_id}».")
        return candidates[-1]

    def add(self, template: Template) -> None:
        self._templates[template.key] = template


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))
