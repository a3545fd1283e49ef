from odoo import fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL

PREVIEW_LIMIT = 200


class CrmGuardianRuleTester(models.TransientModel):
    _name = "crm.guardian.rule.tester"
    _description = "CRM Guardian Rule Tester"

    rule_id = fields.Many2one("crm.guardian.rule", required=True, ondelete="cascade")
    match_count = fields.Integer(
        readonly=True, help="Records the rule matches among those you may read."
    )
    line_ids = fields.One2many("crm.guardian.rule.tester.line", "tester_id", readonly=True)

    def _run(self):
        """Evaluate the rule alone (ignoring other rules' priority) on the records the
        current user may read (their record rules and selected companies), and store
        the preview: the match count counts these records only."""
        self.ensure_one()
        rule = self.rule_id.sudo()
        Model = self.env[rule.model_name].with_context(active_test=False)
        if not Model.has_access("read"):
            raise UserError(
                self.env._(
                    "You may not read %(model)s records: the rule cannot be tested.",
                    model=Model._description,
                )
            )
        # the records the user may read, as a subquery built under their rules
        readable = Model._search([])
        domain = expression.AND([rule._get_record_domain(), [("id", "in", readable)]])
        # sudo: the check reads related data in SQL; its records are restricted above
        scan = self.env["crm.guardian.scan"].sudo()
        match_count, shown = self._riskiest(
            scan._run_check(rule.check, rule, domain, fields.Datetime.now())
        )
        reasons = self.env["crm.guardian.reason"]._render_many(
            [
                (
                    rule.check,
                    vals.get("reason_params"),
                    vals.get("reference_date"),
                    vals["threshold"],
                )
                for vals in shown
            ]
        )
        self.line_ids.unlink()
        self.write(
            {
                "match_count": match_count,
                "line_ids": [
                    fields.Command.create(
                        {
                            "res_model": vals["res_model"],
                            "res_id": vals["res_id"],
                            "name": vals["name"],
                            "reference_date": vals.get("reference_date"),
                            "age_days": self._age_days(vals),
                            "risk_score": vals["risk_score"],
                            "reason": reason,
                        }
                    )
                    for vals, reason in zip(shown, reasons, strict=True)
                ],
            }
        )

    def _riskiest(self, found):
        """``(count, the PREVIEW_LIMIT riskiest finding values)`` of a check's result:
        a list of values, or the SQL of its rows (counted and sorted in PostgreSQL)."""
        if not isinstance(found, SQL):
            found.sort(key=lambda vals: -vals["risk_score"])
            return len(found), found[:PREVIEW_LIMIT]
        [(count,)] = self.env.execute_query(SQL("SELECT COUNT(*) FROM (%s) s", found))
        shown = self.env.execute_query_dict(
            SQL(
                "SELECT * FROM (%s) s ORDER BY risk_score DESC, res_id LIMIT %s",
                found,
                PREVIEW_LIMIT,
            )
        )
        return count, shown

    def _age_days(self, vals):
        if "age_days" in vals:
            return vals["age_days"]
        reference = vals.get("reference_date")
        return (fields.Datetime.now().date() - reference).days if reference else 0


class CrmGuardianRuleTesterLine(models.TransientModel):
    _name = "crm.guardian.rule.tester.line"
    _description = "CRM Guardian Rule Tester Line"
    _order = "risk_score desc, id"

    tester_id = fields.Many2one("crm.guardian.rule.tester", required=True, ondelete="cascade")
    res_model = fields.Char(readonly=True)
    res_id = fields.Many2oneReference(model_field="res_model", readonly=True)
    name = fields.Char(readonly=True)
    reference_date = fields.Date(readonly=True)
    age_days = fields.Integer(readonly=True)
    risk_score = fields.Integer(readonly=True)
    reason = fields.Text(readonly=True)

    def action_view_record(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }
