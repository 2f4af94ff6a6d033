"""Template texts checked once per program version: a cold start does not check them again,
a changed text or a text with problems always is."""

from __future__ import annotations

import pytest

from desktop_app.templating import checked, loader
from tests.conftest import TEMPLATES


@pytest.fixture
def fresh_process(tmp_path, monkeypatch):
    """As if the program had just started: nothing in memory, the cache folder of this test."""
    monkeypatch.setenv("BAOCAOXA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(checked, "_memo", {})
    monkeypatch.setattr(loader, "_PARSED", {})

    def again():
        checked._memo.clear()
        loader._PARSED.clear()

    return again


def _checks(monkeypatch) -> list[str]:
    ran: list[str] = []
    real = loader._Checker.run

    def counting(self):
        ran.append(self.file)
        return real(self)

    monkeypatch.setattr(loader._Checker, "run", counting)
    return ran


def test_a_sound_template_is_checked_once_then_trusted_on_the_next_start(fresh_process, monkeypatch):
    ran = _checks(monkeypatch)
    path = sorted(TEMPLATES.glob("*.yaml"))[0]
    first, problems = loader.load_template(path)
    assert first is not None and not problems and ran == [path.name]
    fresh_process()
    second, problems = loader.load_template(path)
    assert second == first and not problems
    assert ran == [path.name]  # not checked again


def test_a_changed_text_is_checked_again(fresh_process, monkeypatch, tmp_path):
    ran = _checks(monkeypatch)
    source = sorted(TEMPLATES.glob("*.yaml"))[0]
    copy = tmp_path / source.name
    copy.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    loader.load_template(copy)
    fresh_process()
    copy.write_text(source.read_text(encoding="utf-8") + "\n# sửa\n", encoding="utf-8")
    loader.load_template(copy)
    assert ran == [copy.name, copy.name]


def test_a_text_with_problems_is_never_remembered(fresh_process, monkeypatch, tmp_path):
    ran = _checks(monkeypatch)
    source = sorted(TEMPLATES.glob("*.yaml"))[0]
    broken = tmp_path / "hong.yaml"
    text = source.read_text(encoding="utf-8")
    # a sentence naming a field that does not exist: only the full check finds it
    broken.write_text(text.replace("document:", "document:\n  summary: \"{{ khong_co_truong_nay }}\"", 1)
                      if "summary:" not in text else text.replace("summary:", "summary: \"{{ khong_co_nay }}\" #", 1),
                      encoding="utf-8")
    template, problems = loader.load_template(broken)
    assert template is None and problems
    fresh_process()
    template, problems = loader.load_template(broken)
    assert template is None and problems and len(ran) == 2


def test_the_next_start_reads_no_yaml_for_a_remembered_text(fresh_process, monkeypatch):
    path = sorted(TEMPLATES.glob("*.yaml"))[0]
    first, _ = loader.load_template(path)
    fresh_process()

    def no_parsing(*_args, **_kwargs):
        raise AssertionError("the text was parsed again")

    monkeypatch.setattr(loader, "parse_template_text", no_parsing)
    second, problems = loader.load_template(path)
    assert second == first and not problems


def test_unreadable_remembered_data_is_parsed_from_the_text_again(fresh_process, monkeypatch):
    ran = _checks(monkeypatch)
    path = sorted(TEMPLATES.glob("*.yaml"))[0]
    first, _ = loader.load_template(path)
    [kept] = list(checked._parsed_folder().glob("*.json"))
    for garbage in ('{"id": 5}', "không phải JSON", '[]'):
        kept.write_text(garbage, encoding="utf-8")
        fresh_process()
        again, problems = loader.load_template(path)
        assert again == first and not problems
        assert ran == [path.name]  # the text passed before: parsed again, not checked again
    assert checked.parsed(checked.text_key(path.read_text(encoding="utf-8-sig"))) is not None  # written back


def test_another_program_version_neither_reads_nor_keeps_the_data(fresh_process, monkeypatch):
    path = sorted(TEMPLATES.glob("*.yaml"))[0]
    loader.load_template(path)
    old = checked._parsed_folder()
    fresh_process()
    checked._memo["program"] = "mot-phien-ban-khac"
    assert checked.parsed(checked.text_key(path.read_text(encoding="utf-8-sig"))) is None
    loader.load_template(path)
    assert not old.exists() and checked._parsed_folder().is_dir()


def test_a_rebuilt_template_is_exactly_the_validated_one():
    """Rebuilding skips validation: each nested model, enum and date must come out as validating
    the same data makes them (repr shows FieldKind.TEXT where a plain 'text' would compare equal)."""
    from desktop_app.templating.model import dumped, rebuilt, validated

    for path in sorted(TEMPLATES.glob("*.yaml")):
        template, problems = loader.parse_template_text(path.read_text(encoding="utf-8"), path.name)
        assert template is not None and not problems, path
        data = dumped(template)
        assert repr(rebuilt(data)) == repr(validated(data)) == repr(template), path


def test_remembered_data_of_another_shape_is_parsed_from_the_text_again(fresh_process, monkeypatch):
    import json

    ran = _checks(monkeypatch)
    path = sorted(TEMPLATES.glob("*.yaml"))[0]
    first, _ = loader.load_template(path)
    [kept] = list(checked._parsed_folder().glob("*.json"))
    good = json.loads(kept.read_text(encoding="utf-8"))
    for changed in ({**good, "thua": 1}, {**good, "unit_levels": ["khong-co"]}, {**good, "effective_from": "hôm qua"},
                    {**good, "sections": [{**good["sections"][0], "fields": [{"id": "x"}]}]}):
        kept.write_text(json.dumps(changed, ensure_ascii=False), encoding="utf-8")
        fresh_process()
        again, problems = loader.load_template(path)
        assert again == first and not problems
    assert ran == [path.name]
