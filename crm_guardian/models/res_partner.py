import re
import unicodedata

from odoo import api, fields, models

# Legal-form words dropped from the end of a company name before comparing.
LEGAL_SUFFIXES = {
    "ab",
    "ag",
    "as",
    "bv",
    "bvba",
    "co",
    "company",
    "corp",
    "corporation",
    "cv",
    "eirl",
    "eurl",
    "gmbh",
    "inc",
    "incorporated",
    "kg",
    "kft",
    "limited",
    "llc",
    "llp",
    "lp",
    "ltd",
    "ltda",
    "nv",
    "oy",
    "plc",
    "pte",
    "pty",
    "sa",
    "sarl",
    "sas",
    "sasu",
    "scs",
    "snc",
    "spa",
    "srl",
    "ug",
}


def normalize_company_name(name):
    """Comparable key of a company name, or False.

    Accents, case and punctuation are removed, ``&`` reads ``and``, and legal-form
    words (Ltd, Limited, Inc, GmbH, SARL, LLC, ...) are dropped from the end:
    ``ACME Ltd.`` and ``Acme Limited`` both give ``acme``.
    """
    if not name:
        return False
    text = unicodedata.normalize("NFKD", name)
    text = "".join(char for char in text if not unicodedata.combining(char)).lower()
    text = text.replace("&", " and ")
    # "S.A.R.L." -> "sarl", "L.L.C." -> "llc": drop dots inside words first
    text = re.sub(r"(?<=\w)\.(?=\w)", "", text)
    tokens = re.sub(r"[^\w]+", " ", text).split()
    while len(tokens) > 1 and tokens[-1] in LEGAL_SUFFIXES:
        tokens.pop()
    return " ".join(tokens) or False


class ResPartner(models.Model):
    _inherit = "res.partner"

    guardian_name_key = fields.Char(
        compute="_compute_guardian_name_key",
        store=True,
        index="btree_not_null",
        help="Normalised company name used by CRM Guardian to find possible duplicates.",
    )

    @api.depends("name", "is_company")
    def _compute_guardian_name_key(self):
        for partner in self:
            partner.guardian_name_key = partner.is_company and normalize_company_name(partner.name)
