from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..tools.duplicate_matcher import FIELDS

# a field "agrees" from this similarity on (the explanation lists them)
AGREEMENT = 0.85


class CrmGuardianDuplicatePair(models.Model):
    """Two records a fuzzy duplicate check matched, with the facts of the match: the
    similarity of each field compared, the score and the threshold (``facts``, JSON),
    rendered into a sentence in the reader's language at read time (:meth:`_explain`).
    Written in SQL by the scan; readable as the findings are, when one of its two
    records is (``crm.guardian.record.access``); the other is then shown as hidden."""

    _name = "crm.guardian.duplicate.pair"
    _description = "CRM Guardian: Duplicate Pair"
    _inherit = ["crm.guardian.record.access"]
    _order = "score desc, id"
    _log_access = False

    check = fields.Char(required=True, readonly=True, index=True)
    group_key = fields.Char(
        readonly=True, index="btree_not_null", help="Key of the finding of the pair's group."
    )
    res_model = fields.Char(string="Record Model", required=True, readonly=True)
    res_id = fields.Many2oneReference(
        string="First Record ID", model_field="res_model", required=True, readonly=True
    )
    res_id_b = fields.Integer(string="Second Record ID", required=True, readonly=True)
    member_res_ids = fields.Char(readonly=True)
    score = fields.Float(readonly=True, digits=(3, 2))
    threshold = fields.Float(readonly=True, digits=(3, 2))
    facts = fields.Json(readonly=True)
    fingerprint_a = fields.Char(readonly=True)
    fingerprint_b = fields.Char(readonly=True)
    # a rescan removed a pair of one of this pair's records (its other record changed):
    # the component of the pair is regrouped at the end of the rescan (True or NULL)
    regroup = fields.Boolean(readonly=True, index="btree_not_null")
    record_a_name = fields.Char(string="Record", compute="_compute_explanation")
    record_b_name = fields.Char(string="Looks Like", compute="_compute_explanation")
    score_percent = fields.Integer(string="Score (%)", compute="_compute_explanation")
    explanation = fields.Char(string="Why", compute="_compute_explanation")

    @api.model
    def _get_source_models(self):
        return ["crm.lead", "res.partner"]

    @api.model
    def _get_group_models(self):
        return {"crm.lead", "res.partner"}

    @api.depends_context("uid", "lang", "allowed_company_ids")
    def _compute_explanation(self):
        readable = self._readable_ids()
        hidden = self.env._("(not visible to you)")
        for pair in self:
            names = []
            for res_id in (pair.res_id, pair.res_id_b):
                record = self.env[pair.res_model].browse(res_id)
                names.append(
                    record.with_context(active_test=False).display_name
                    if (pair.res_model, res_id) in readable
                    else hidden
                )
            pair.record_a_name, pair.record_b_name = names
            pair.score_percent = round(100 * pair.score)
            pair.explanation = pair._explain()

    def _readable_ids(self):
        """``{(model, id)}`` of the pairs' records the current user may read."""
        by_model = {}
        for pair in self:
            by_model.setdefault(pair.res_model, set()).update((pair.res_id, pair.res_id_b))
        readable = set()
        for model, ids in by_model.items():
            records = self.env[model].with_context(active_test=False).browse(ids).exists()
            readable.update((model, i) for i in records._filtered_access("read").ids)
        return readable

    @api.model
    def _field_labels(self):
        return {
            "name": self.env._("name"),
            "company": self.env._("company name"),
            "street": self.env._("street"),
            "street2": self.env._("street line 2"),
            "zip": self.env._("zip"),
            "city": self.env._("city"),
            "email": self.env._("email"),
            "phone": self.env._("phone"),
        }

    def _explain(self):
        """The match in a sentence, from the stored facts, in the reader's language:
        the similarity of every field compared, those that agree, score and threshold."""
        self.ensure_one()
        facts = (self.facts or {}).get("sims") or {}
        sims = {key: facts[key] for key in FIELDS if key in facts}
        labels = self._field_labels()
        compared = ", ".join(
            self.env._(
                "%(field)s %(percent)s%%", field=labels.get(key, key), percent=round(100 * sim)
            )
            for key, sim in sims.items()
        )
        agreeing = [labels.get(key, key) for key, sim in sims.items() if sim >= AGREEMENT]
        return self.env._(
            "Agreeing: %(agreeing)s. Compared: %(compared)s. Score %(score)s%% "
            "(threshold %(threshold)s%%).",
            agreeing=", ".join(agreeing) or self.env._("none"),
            compared=compared,
            score=round(100 * self.score),
            threshold=round(100 * self.threshold),
        )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_mark_not_duplicate(self):
        """Mark these pairs as not duplicates: they never come back until one of their
        records changes a compared field. Guardian: Manage, or a user who may edit both
        records of each pair."""
        self.check_access("read")
        self._check_may_mark()
        self._mark_not_duplicate()
        return True

    def _check_may_mark(self):
        if self.env.user.has_group("crm_guardian.group_crm_guardian_manager"):
            return
        for pair in self:
            records = self.env[pair.res_model].browse([pair.res_id, pair.res_id_b]).exists()
            try:
                records.check_access("write")
            except AccessError as error:
                raise UserError(
                    self.env._(
                        "You may mark as not duplicates only records you may edit; ask a "
                        "CRM Guardian manager for the others."
                    )
                ) from error

    def _mark_not_duplicate(self):
        """Remember the pairs (superuser: the caller checked the user's right to mark
        them, :meth:`_check_may_mark`), drop them, and resolve the groups left without
        any pair."""
        pairs = self.sudo()
        Exclusion = self.env["crm.guardian.duplicate.exclusion"].sudo()
        for pair in pairs:
            values = {"fingerprint_a": pair.fingerprint_a, "fingerprint_b": pair.fingerprint_b}
            existing = Exclusion.search(
                [
                    ("res_model", "=", pair.res_model),
                    ("res_id_a", "=", pair.res_id),
                    ("res_id_b", "=", pair.res_id_b),
                ]
            )
            if existing:
                existing.write(values)
            else:
                Exclusion.create(
                    {
                        "res_model": pair.res_model,
                        "res_id_a": pair.res_id,
                        "res_id_b": pair.res_id_b,
                        **values,
                    }
                )
        keys = set(pairs.mapped("group_key")) - {False}
        pairs.unlink()
        if keys:
            self.env["crm.guardian.finding"].sudo()._resolve_empty_duplicate_groups(keys)
