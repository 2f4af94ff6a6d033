"""All report templates the app knows: the bundled ones and those installed later.

A template that fails to load is kept out and its problems are remembered, so one bad
file never stops the app; ``templates list`` shows them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from desktop_app.atomic import write_bytes_atomic
from desktop_app.paths import resource
from desktop_app.templating.loader import Problem, load_template, parsed_once, read_template_file
from desktop_app.templating.model import Template

TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json")


class TemplateNotFound(LookupError):
    pass


class TemplateRefused(ValueError):
    """A template file that is not installed: ``problems`` say why (Vietnamese); nothing changed."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []


@dataclass(frozen=True)
class Installed:
    template: Template
    path: Path  # where the registry reads it from
    already: bool  # the same template was installed before: nothing was written


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

    def for_period(self, template_id: str, start: dt.date, end: dt.date, level: str | None = None) -> Template:
        """The version a new report of this period uses: the newest in effect for the period (and
        made for the unit's level), else the newest made for the level, else the newest.

        A report for 9 months of 2023 keeps the 2023 version; one for 2025 gets the 2025 version."""
        candidates = [t for t in self.all() if t.id == template_id]
        if not candidates:
            raise TemplateNotFound(f"Không có mẫu báo cáo «{template_id}».")
        for_level = [t for t in candidates if level is None or any(lv.value == level for lv in t.unit_levels)]
        in_effect = [t for t in for_level if t.in_effect(start, end)]
        return (in_effect or for_level or candidates)[-1]

    def offered(self, level: str | None, today: dt.date | None = None) -> list[Template]:
        """The types offered for a new report, newest version of each, in the order a person
        should see them: those for the unit's level in effect today, the suggested one first and
        the most recent next; then the rest."""
        today = today or dt.date.today()

        def rank(t: Template) -> tuple:
            fits = level is None or any(lv.value == level for lv in t.unit_levels)
            current = t.in_effect(today, today)
            return (not (fits and current), not (fits and t.suggested), -t.effective_from.toordinal(),
                    t.display_title)

        newest: dict[str, Template] = {}
        for t in self.all():
            # ascending versions: the newest in effect today, else (none is) the newest
            if t.id not in newest or t.in_effect(today, today) or not newest[t.id].in_effect(today, today):
                newest[t.id] = t
        return sorted(newest.values(), key=rank)

    def add(self, template: Template) -> None:
        self._templates[template.key] = template

    def is_bundled(self, template: Template) -> bool:
        source = self.sources.get(template.key)
        return source is not None and source.parent == resource("templates")

    def install(self, source: Path, folder: Path) -> Installed:
        """Check a template file and copy it into ``folder`` (the data folder's templates).

        Refused (:class:`TemplateRefused`, nothing written) when the checker finds any problem,
        or when this id and version is installed with other content: a version, once issued,
        never changes. The same template again is a no-op."""
        text, problems = read_template_file(source)
        template = None
        if text is not None:
            # checked once: the reload below reads what this check remembered
            template, problems = parsed_once(text, source.name)
        if template is None:
            raise TemplateRefused(f"Tệp mẫu «{source.name}» có {len(problems)} vấn đề nên chưa cài; hãy sửa rồi cài "
                                  "lại:", [str(p) for p in problems])
        installed = self._templates.get(template.key)
        if installed is not None:
            where = self.sources[template.key]
            if installed == template:
                return Installed(installed, where, already=True)
            raise TemplateRefused(
                f"Đã cài mẫu «{template.id}» phiên bản {template.version} với nội dung khác (tệp {where.name}). Một "
                "phiên bản mẫu đã phát hành không bao giờ được thay nội dung, vì các báo cáo đã làm theo nó phải giữ "
                f"nguyên: hãy tăng số phiên bản («version: \"{next_version(template.version)}\"») rồi cài lại.")
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{template.id}-{template.version}.yaml"
        number = 2
        while target.exists():  # another file of that name (even a broken one) is never overwritten
            target = folder / f"{template.id}-{template.version}-{number}.yaml"
            number += 1
        write_bytes_atomic(target, text.encode("utf-8"))
        self.reload()
        loaded = self._templates.get(template.key)
        if loaded is None:  # cannot happen for a file that passed the checker; never claim success
            target.unlink(missing_ok=True)
            self.reload()
            raise TemplateRefused(f"Không cài được mẫu «{template.id}»: chương trình không đọc lại được tệp vừa ghi.")
        return Installed(loaded, target, already=False)


def next_version(version: str) -> str:
    """``2025.1`` → ``2025.2``: the version to suggest for a changed template."""
    parts = version.split(".")
    return ".".join(parts[:-1] + [str(int(parts[-1]) + 1)])


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))
