"""The core's sentences (``errors.said``) and the web UI's catalogs that translate them.

Every ``said()`` of the code has a literal template whose placeholders are exactly the
parameters it is given; the ``errors`` catalogs hold every template, in French and German,
with the same placeholders, compiled into the committed .mo files. A template that escapes
extraction, or a catalog left behind by a changed sentence, fails here with what to run.
"""

from __future__ import annotations

import ast
import gettext
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from cheel import errors
from cheel.web import i18n

PACKAGE = Path(errors.__file__).parent
LOCALE = PACKAGE / "web" / "locale"
FIX = "run `make catalogs`, translate what is new in fr and de, then `make catalogs` again"


def said_calls():
    """(file, line, template or None when not a literal, keyword names, has **kwargs)."""
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "errors.py":  # where said() is defined, and wraps plain sentences
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "said"):
                continue
            first = node.args[0] if node.args else None
            template = first.value if isinstance(first, ast.Constant) and \
                isinstance(first.value, str) else None
            names = {k.arg for k in node.keywords if k.arg is not None}
            spread = any(k.arg is None for k in node.keywords)
            yield path.relative_to(PACKAGE), node.lineno, template, names, spread


def placeholders(template: str) -> set[str]:
    return {field for _text, field, _spec, _conv in string.Formatter().parse(template)
            if field is not None}


def test_every_said_has_a_literal_template_and_its_parameters():
    calls = list(said_calls())
    assert len(calls) > 150
    problems = []
    for path, line, template, names, spread in calls:
        if template is None:
            problems.append(f"{path}:{line}: the template is not a string literal, so no "
                            "catalog can hold it")
            continue
        wanted = placeholders(template)
        if any(not name.isidentifier() for name in wanted):
            problems.append(f"{path}:{line}: placeholders must be plain names: {template!r}")
        if not spread and wanted != names:
            problems.append(f"{path}:{line}: {template!r} names {sorted(wanted)} but is given "
                            f"{sorted(names)}")
    assert not problems, "\n".join(problems)


def extracted() -> set[str]:
    found = extract_from_dir(str(PACKAGE), [("**.py", "python")], keywords={"said": None})
    return {message for _f, _l, message, _c, _ctx in found}


def catalog(path: Path) -> dict[str, object]:
    with open(path, "rb") as f:
        return {m.id: m for m in read_po(f) if m.id}


def test_the_template_lists_every_sentence_of_the_code():
    pot = set(catalog(LOCALE / "errors.pot"))
    code = extracted()
    assert not code - pot, f"sentences missing from errors.pot ({FIX}): {sorted(code - pot)}"
    assert not pot - code, f"errors.pot holds sentences the code no longer says ({FIX}): " \
        f"{sorted(pot - code)}"


@pytest.mark.parametrize("lang", ["fr", "de"])
def test_every_sentence_is_translated(lang):
    folder = LOCALE / lang / "LC_MESSAGES"
    po = catalog(folder / "errors.po")
    with open(folder / "errors.mo", "rb") as f:
        mo = gettext.GNUTranslations(f)  # what the web UI loads
    code = extracted()
    missing = sorted(code - set(po))
    assert not missing, f"{lang}: untranslated ({FIX}): {missing}"
    for msgid, m in po.items():
        assert m.string and not m.fuzzy, f"{lang}: {msgid!r} is not translated ({FIX})"
        assert placeholders(m.string) == placeholders(msgid), (lang, msgid, m.string)
        assert mo.gettext(msgid) == m.string, f"{lang}: errors.mo is stale ({FIX})"
        if lang == "de":
            assert "ß" not in m.string, (msgid, "Swiss German writes ss")


def test_an_error_is_said_whole_in_the_page_language(tmp_path):
    from cheel.store.catalog import Catalog
    from cheel.store.names import check_name

    with pytest.raises(errors.CheelError) as caught:
        Catalog(tmp_path).find("Nowhere SA")
    e = caught.value
    assert e.message.startswith("there is no organization")  # the command line: English
    assert i18n.say(e.text, "en") == e.message[:1].upper() + e.message[1:] + "."
    french, german = i18n.say(e.text, "fr"), i18n.say(e.text, "de")
    assert "Nowhere SA" in french and "Nowhere SA" in german
    assert "organization" not in french and "organization" not in german
    assert french != german
    # a sentence holding a translated part: the part is translated too
    with pytest.raises(errors.UsageError) as caught:
        check_name("bad\x1bname", "company")
    for lang in ("fr", "de"):
        said = i18n.say(caught.value.text, lang) + " " + i18n.say(caught.value.hint_text, lang)
        assert "company" not in said and "control character" not in said, said
        assert "U+001B" in said


def test_a_parameter_is_never_taken_for_a_template():
    # a value holding braces or a msgid is shown as it is, never translated or formatted
    text = errors.said('an organization named "{name}" already exists', name="{x} company")
    assert "{x} company" in i18n.say(text, "de")
    plain = errors.CheelError("a {literal} sentence")
    assert i18n.say(plain.text, "fr") == "A {literal} sentence."
