"""Every user-facing string is translated into Simplified Chinese, and the catalogue is current."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\{\s*\w+\s*\}\}")


def catalogue() -> polib.POFile:
    return polib.pofile(str(PO))


def test_every_entry_is_translated_and_none_is_fuzzy():
    po = catalogue()
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []


def test_translations_keep_their_placeholders():
    wrong = []
    for entry in catalogue():
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            if sorted(PLACEHOLDER.findall(entry.msgid)) != sorted(PLACEHOLDER.findall(text)):
                wrong.append(entry.msgid)
    assert wrong == []


@pytest.mark.slow
def test_the_catalogue_holds_every_string_in_the_code(tmp_path):
    """Extract afresh (as `make messages` does) in a scratch copy of the sources and compare message ids."""
    copy = tmp_path / "src"
    copy.mkdir()
    for name in ("manage.py", "portal", "counseling", "aid", "homevisits", "templates"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(source, copy / name)
    (copy / "locale").mkdir()
    env = {**os.environ, "DEBUG": "1"}
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    fresh = {e.msgid for e in polib.pofile(str(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))}
    committed = {e.msgid for e in catalogue()}
    missing = sorted(fresh - committed)
    assert missing == [], f"run `make messages` and translate: {missing[:20]}"


def test_pages_come_out_in_chinese_by_default(client, world, client_for, settings):
    settings.LANGUAGE_CODE = "zh-hans"  # the project's default (tests run in English otherwise)
    client = client_for(world["station"])
    del client.cookies["django_language"]
    body = client.get("/counseling/queue/").content.decode()
    assert "研判队列" in body
    client.cookies["django_language"] = "en"
    assert "Triage queue" in client.get("/counseling/queue/").content.decode()
