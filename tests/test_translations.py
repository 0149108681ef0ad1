"""The catalogues keep up with the code: every visible template string is marked, every shipped
language translates every entry, the compiled files match their sources, and extracting afresh
finds nothing that the catalogues lack. A new untranslated string fails here, not in front of a reader.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.template.base import Lexer, TokenType

ROOT = Path(settings.BASE_DIR)
TEMPLATE_DIRS = [ROOT / "factcheck" / "templates", ROOT / "claims" / "templates", ROOT / "reviews" / "templates"]
TEMPLATES = sorted(path for folder in TEMPLATE_DIRS for path in folder.rglob("*.html"))
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != "en"]
# Plural forms per language (gettext's Plural-Forms; Arabic has zero, one, two, few, many and other).
NPLURALS = {"es": 3, "fr": 2, "ar": 6}
CATALOGUE = "locale/{}/LC_MESSAGES/django.{}"

# Words that are the same in every language: the product's name.
UNTRANSLATABLE = {"factcheck"}
# Attributes a reader sees or hears (screen readers); the others (class, href, id …) are not text.
VISIBLE_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "aria-placeholder", "aria-description"}
PLACEHOLDER = "\x00"  # stands for whatever a template tag or variable prints
WORD = re.compile(r"[^\W\d_]{2,}")
TRANSLATE_BLOCKS = {"blocktranslate": "endblocktranslate", "blocktrans": "endblocktrans", "comment": "endcomment"}
# Filters whose argument is printed as it stands: a literal there must be a translatable one.
PRINTING_FILTERS = re.compile(r"\|(?:default|default_if_none)\s*:\s*(['\"])(.*?)\1")


def _without_template_code(source: str) -> str:
    """The template's own text: variables become a placeholder; tags, translate blocks and comments are removed."""
    parts: list[str] = []
    closing: str | None = None
    for token in Lexer(source).tokenize():
        if closing is not None:
            if token.token_type == TokenType.BLOCK and token.contents.split()[0] == closing:
                closing = None
                parts.append(PLACEHOLDER)
            continue
        if token.token_type == TokenType.TEXT:
            parts.append(token.contents)
        elif token.token_type == TokenType.BLOCK and token.contents.split()[0] in TRANSLATE_BLOCKS:
            closing = TRANSLATE_BLOCKS[token.contents.split()[0]]
        elif token.token_type == TokenType.VAR:
            parts.append(PLACEHOLDER)
        # Other tags ({% if %} around an attribute, {% url %} …) print no words: they vanish.
    return "".join(parts)


class _VisibleText(HTMLParser):
    """Collects what a reader sees: text outside <style>/<script>, visible attributes, button values."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._hidden += 1
        values = dict(attrs)
        for name, value in attrs:
            if value and name in VISIBLE_ATTRIBUTES:
                self.found.append(value)
        if tag == "input" and values.get("type") in ("submit", "button", "reset") and values.get("value"):
            self.found.append(values["value"] or "")
        if tag == "meta" and (values.get("name") == "description" or (values.get("property") or "").startswith("og:")):
            content = values.get("content") or ""
            if values.get("property") not in ("og:type", "og:url", "og:site_name"):
                self.found.append(content)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._hidden = max(0, self._hidden - 1)

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.found.append(data)


def untranslated_text(source: str) -> list[str]:
    """Words of a template that a reader would see and that no translate tag covers."""
    parser = _VisibleText()
    parser.feed(_without_template_code(source))
    parser.close()
    words = []
    for text in parser.found:
        words += [word for word in WORD.findall(text.replace(PLACEHOLDER, " ")) if word not in UNTRANSLATABLE]
    for token in Lexer(source).tokenize():
        if token.token_type in (TokenType.VAR, TokenType.BLOCK):
            words += [literal for _quote, literal in PRINTING_FILTERS.findall(token.contents) if WORD.search(literal)]
    return words


def test_the_checker_finds_unmarked_text_and_accepts_marked_text():
    assert untranslated_text("<p>Hello <b>{{ name }}</b></p>") == ["Hello"]
    assert untranslated_text('<a title="Open it" href="/x/">{% translate "Go" %}</a>') == ["Open", "it"]
    assert untranslated_text('<input type="submit" value="Send">') == ["Send"]
    assert untranslated_text('{{ value|default:"never" }}') == ["never"]
    assert untranslated_text("{% load i18n %}<p>{% blocktranslate %}Hi {{ x }}{% endblocktranslate %}</p>") == []
    assert untranslated_text('<a href="/" class="brand">factcheck</a><style>.a { color: red; }</style>') == []
    assert untranslated_text('<span aria-label="{% translate \'Main\' %}">—</span>{{ x|default:"—" }}') == []


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_visible_template_string_is_marked_for_translation(template):
    words = untranslated_text(template.read_text(encoding="utf-8"))
    assert not words, f"{template.relative_to(ROOT)} shows text outside translate tags: {words}"


def test_templates_print_dates_in_the_reader_format():
    """Human dates use the locale's named formats; machine ones ('c', 'Y-m-d' in attributes and inputs) stay fixed."""
    fixed = []
    for template in TEMPLATES:
        for match in re.finditer(r"\|date:(['\"])(.*?)\1", template.read_text(encoding="utf-8")):
            if not re.fullmatch(r"[A-Z_]+_FORMAT|c|Y-m-d", match.group(2)):
                fixed.append(f"{template.name}: {match.group(0)}")
    assert not fixed, f"hard-coded date formats: {fixed}"


# --- The catalogues ----------------------------------------------------------------------------------


def _catalogue(language: str) -> polib.POFile:
    path = ROOT / CATALOGUE.format(language, "po")
    assert path.is_file(), f"{path} is missing: run `make messages`"
    return polib.pofile(str(path))


NAMED = re.compile(r"%\((\w+)\)[#0\- +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def _placeholders(text: str) -> set[str]:
    return set(NAMED.findall(text))


def _tags(text: str) -> list[str]:
    return sorted(re.findall(r"</?\w+", text))


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_catalogue_entry_is_translated_with_its_placeholders(language):
    catalogue = _catalogue(language)
    assert not catalogue.metadata_is_fuzzy, f"{language}: the header is marked fuzzy"
    assert catalogue.metadata.get("Language") == language
    assert f"nplurals={NPLURALS[language]};" in catalogue.metadata["Plural-Forms"].replace(" ", "")
    problems = []
    for entry in catalogue:
        name = f"{entry.msgctxt + ' | ' if entry.msgctxt else ''}{entry.msgid!r}"
        if entry.obsolete:
            problems.append(f"{name}: obsolete")
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"{name}: fuzzy")
        if entry.msgid_plural:
            forms = [entry.msgstr_plural.get(index, "") for index in range(NPLURALS[language])]
            if len(entry.msgstr_plural) != NPLURALS[language] or not all(form.strip() for form in forms):
                problems.append(f"{name}: needs {NPLURALS[language]} plural forms, has {entry.msgstr_plural}")
            wanted = _placeholders(entry.msgid_plural)
        else:
            forms = [entry.msgstr]
            if not entry.msgstr.strip():
                problems.append(f"{name}: not translated")
            wanted = _placeholders(entry.msgid)
        for form in forms:
            if form and _placeholders(form) != wanted:
                problems.append(f"{name}: placeholders {sorted(_placeholders(form))} instead of {sorted(wanted)}")
            if form and _tags(form) != _tags(entry.msgid):
                problems.append(f"{name}: HTML tags {_tags(form)} instead of {_tags(entry.msgid)}")
    assert not problems, f"{language} catalogue:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalogue_matches_its_source(language):
    """The .mo that Django reads holds exactly the .po's translations (run `make messages` after editing a .po)."""
    compiled = ROOT / CATALOGUE.format(language, "mo")
    assert compiled.is_file(), f"{compiled} is missing: run `make messages`"

    def entries(catalogue) -> dict:
        return {
            (entry.msgctxt, entry.msgid): dict(entry.msgstr_plural) if entry.msgid_plural else entry.msgstr
            for entry in catalogue
            if not entry.obsolete and "fuzzy" not in entry.flags
        }

    source = entries(_catalogue(language))
    mo = polib.mofile(str(compiled))
    assert entries(mo) == {key: value for key, value in source.items() if value}, f"{compiled} is stale"
    assert mo.metadata.get("Plural-Forms") == _catalogue(language).metadata.get("Plural-Forms")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> polib.POFile:
    """What `make messages` would extract from the code now, from a copy of the apps (the real catalogues untouched)."""
    work = tmp_path_factory.mktemp("messages")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "migrations", "static")
    for app in ("factcheck", "claims", "reviews"):
        shutil.copytree(ROOT / app, work / app, ignore=ignore)
    shutil.copy(ROOT / "manage.py", work / "manage.py")
    (work / "locale").mkdir()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "factcheck.settings", "PYTHONPATH": str(work)}
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "es", "--keep-pot", "--no-location", "--verbosity", "0"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return polib.pofile(str(work / "locale" / "django.pot"))


@pytest.mark.parametrize("language", TRANSLATED)
def test_extracting_afresh_adds_nothing_the_catalogue_lacks(extracted, language):
    """A string marked in the code but missing from a catalogue fails here (and so does one left behind)."""
    wanted = {(entry.msgctxt, entry.msgid) for entry in extracted}
    have = {(entry.msgctxt, entry.msgid) for entry in _catalogue(language) if not entry.obsolete}
    assert not wanted - have, f"not in locale/{language}: run `make messages` and translate {sorted(wanted - have)}"
    assert not have - wanted, f"no longer in the code, still in locale/{language}: {sorted(have - wanted)}"
