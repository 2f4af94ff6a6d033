"""What an operation changed, so every view can refresh itself (Anki's ``OpChanges``).

An operation returns a :class:`Changes`; the window announces it once, and each view looks
at the parts it shows: the report list, one open report, the unit profile, conflicts, the
reports received from other units, templates, senders.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass(frozen=True)
class Changes:
    report_list: bool = False  # own reports added, removed, renamed or re-stated
    report_ids: frozenset[int] = field(default_factory=frozenset)  # the content of these reports
    any_report: bool = False  # the content of reports not named one by one (a bundle import)
    profile: bool = False
    conflicts: bool = False
    received: bool = False  # reports other units sent (consolidation, status of who sent)
    templates: bool = False
    senders: bool = False

    def __or__(self, other: Changes) -> Changes:
        return Changes(**{f.name: (getattr(self, f.name) | getattr(other, f.name)) for f in fields(self)})

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    @classmethod
    def of_report(cls, report_id: int, *, listed: bool = True) -> Changes:
        return cls(report_list=listed, report_ids=frozenset({report_id}))

    @classmethod
    def everything(cls) -> Changes:
        return cls(report_list=True, any_report=True, profile=True, conflicts=True, received=True,
                   templates=True, senders=True)

    def touches_report(self, report_id: int) -> bool:
        return self.any_report or report_id in self.report_ids

    @classmethod
    def after_bundle_import(cls, summary) -> Changes:
        """An import summary's effect: reports added or updated, conflicts, received, senders."""
        return cls(report_list=True, any_report=bool(summary.updated or summary.conflicts),
                   conflicts=bool(summary.conflicts), received=True, templates=bool(summary.templates),
                   senders=bool(summary.new_senders or summary.held))
