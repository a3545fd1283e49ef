from datetime import timedelta

from odoo import api, models
from odoo.osv import expression


class CrmGuardianScan(models.AbstractModel):
    """The Contracts section. Its core check is about sales documents awaiting the
    customer's online signature; the OCA contract checks come with crm_guardian_contract."""

    _inherit = "crm.guardian.scan"

    @api.model
    def _get_checks(self):
        checks = super()._get_checks()
        checks["quotation_signature"] = {
            "name": self.env._("Awaiting the customer's signature"),
            "section": "contracts",
            "model": "sale.order",
            "sequence": 410,
            "incremental": True,
        }
        return checks

    @api.model
    def _get_sections(self):
        return {**super()._get_sections(), "contracts": self.env._("Contracts")}

    def _check_quotation_signature(self, rule, domain, now):
        """Sent quotations that require an online signature and have none after N days."""
        cutoff = now - timedelta(days=rule.threshold)
        domain = expression.AND(
            [
                domain,
                [
                    ("state", "=", "sent"),
                    ("require_signature", "=", True),
                    ("signed_on", "=", False),
                    ("date_order", "<", cutoff),
                ],
            ]
        )
        rows = self._fetch_rows("sale.order", domain, self._order_columns)
        reason = self.env._(
            "Sent on %(date)s for an online signature, still unsigned after %(age)s days "
            "(threshold %(threshold)s days)."
        )
        today = now.date()
        vals_list = []
        for row in rows:
            vals = self._row_vals(row, row["date_order"], today)
            vals["reason"] = reason % {
                "date": vals["reference_date"],
                "age": vals["age_days"],
                "threshold": rule.threshold,
            }
            vals_list.append(vals)
        return vals_list
