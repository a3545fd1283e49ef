"""Every addon ships French, German and Spanish translations of every string of its .pot,
with the same placeholders, under the header Odoo exports. (What users then read in each
language is tested in each addon's own i18n tests.)"""

import re
from pathlib import Path

import polib
import pytest

REPO = Path(__file__).resolve().parent.parent
ADDONS = sorted(path.parent.name for path in REPO.glob("*/__manifest__.py"))
LANGUAGES = ("fr", "de", "es")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\{.*?\}\}")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("addon", ADDONS)
def test_po_file_complete(addon, language):
    i18n = REPO / addon / "i18n"
    pot = polib.pofile(str(i18n / f"{addon}.pot"))
    po = polib.pofile(str(i18n / f"{language}.po"))
    assert po.metadata["Language"] == language
    assert po.metadata["Content-Type"] == "text/plain; charset=UTF-8"
    assert "nplurals=" in po.metadata["Plural-Forms"]
    translated = {entry.msgid: entry.msgstr for entry in po if entry.msgstr}
    missing = [entry.msgid for entry in pot if entry.msgid not in translated]
    assert not missing, f"untranslated in {addon}/i18n/{language}.po"
    for entry in pot:
        if "{{" in entry.msgid:
            continue  # inline templates: the quoted texts inside are translated
        assert sorted(PLACEHOLDER.findall(translated[entry.msgid])) == sorted(
            PLACEHOLDER.findall(entry.msgid)
        ), entry.msgid
