"""Every visible string has a Chinese translation, and the compiled catalogue is current."""

import re
from pathlib import Path

from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
SOURCES = ["jiangbei", "training", "venues", "lectures"]
TEMPLATE_STRING = re.compile(r"""{%\s*(?:translate|trans)\s+(["'])(.+?)\1""")
PYTHON_STRING = re.compile(r"""\b_\(\s*(["'])(.+?)(?<!\\)\1\s*[,)]""")


def catalogue_entries() -> dict[str, str]:
    entries, msgid, field = {}, None, None
    text = CATALOGUE.read_text(encoding="utf-8")
    for block in text.split("\n\n"):
        if "#, fuzzy" in block and 'msgid ""\nmsgstr ""' not in block[:40]:
            raise AssertionError(f"fuzzy entry in the catalogue:\n{block}")
        msgid, strings, field = None, {"msgid": "", "msgstr": ""}, None
        for line in block.splitlines():
            match = re.match(r'^(msgid|msgstr|msgstr\[0\]|msgid_plural)\s+"(.*)"$', line)
            if match:
                field = match.group(1).replace("[0]", "")
                strings.setdefault(field, "")
                strings[field] += match.group(2)
            elif line.startswith('"') and field:
                strings[field] += line[1:-1]
        msgid = strings["msgid"]
        if msgid:
            entries[msgid] = strings["msgstr"]
    return entries


def visible_strings() -> set[str]:
    found = set()
    for path in (ROOT / "templates").rglob("*.html"):
        found |= {match.group(2) for match in TEMPLATE_STRING.finditer(path.read_text(encoding="utf-8"))}
    for app in SOURCES:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            found |= {match.group(2) for match in PYTHON_STRING.finditer(path.read_text(encoding="utf-8"))}
    return found


def test_every_catalogue_entry_is_translated():
    entries = catalogue_entries()
    assert len(entries) > 300
    untranslated = sorted(msgid for msgid, msgstr in entries.items() if not msgstr)
    assert untranslated == []


def test_every_visible_string_is_in_the_catalogue():
    entries = catalogue_entries()
    missing = sorted(string for string in visible_strings() if string.replace('\\"', '"') not in entries
                     and string not in entries)
    assert missing == [], "run `make messages` and translate the new entries"


def test_the_compiled_catalogue_is_used():
    with translation.override("zh-hans"):
        assert translation.gettext("Members") == catalogue_entries()["Members"]
        assert translation.gettext("Members") != "Members"
