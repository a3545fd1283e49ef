from datetime import timedelta

from odoo import api, models
from odoo.osv import expression

CONTRACT_FIELDS = (
    "display_name",
    "date_end",
    "partner_id",
    "user_id",
    "company_id",
    "contract_line_ids",
)


class CrmGuardianScan(models.AbstractModel):
    _inherit = "crm.guardian.scan"

    @api.model
    def _get_checks(self):
        checks = super()._get_checks()
        checks.update(
            {
                "contract_expiring": {
                    "name": self.env._("Contract expiring"),
                    "section": "contracts",
                    "model": "contract.contract",
                    "sequence": 420,
                    "reason": self.env._(
                        "The contract ends on %(date)s, in %(days)s days, and no renewal "
                        "activity is planned (threshold %(threshold)s days)."
                    ),
                },
                "contract_billing_ending": {
                    "name": self.env._("Recurring billing runs out"),
                    "section": "contracts",
                    "model": "contract.contract",
                    "sequence": 430,
                    "reason": self.env._(
                        "Everything is invoiced: the last invoiced period ends on %(date)s, in "
                        "%(days)s days, and no further invoice is planned (threshold "
                        "%(threshold)s days)."
                    ),
                },
            }
        )
        return checks

    def _customer_contract_domain(self):
        return [("active", "=", True), ("contract_type", "=", "sale")]

    def _contract_vals(self, contract, reference, now, days_left, threshold, **extra):
        return self._base_vals(
            contract,
            reference,
            now,
            partner_id=contract.partner_id.commercial_partner_id.id,
            user_id=contract.user_id.id,
            company_id=contract.company_id.id,
            ratio=1 + (threshold - days_left) / max(threshold, 1),
            # a deadline ahead: one step, dismissals hold until their date
            severity_level=1,
            **extra,
        )

    def _check_contract_expiring(self, rule, domain, now):
        """Customer contracts ending within N days, unless a renewal activity is open."""
        today = now.date()
        renewal = self.env.ref("crm_guardian_contract.mail_activity_type_contract_renewal")
        domain = expression.AND(
            [
                domain,
                self._customer_contract_domain(),
                [("date_end", ">=", today), ("date_end", "<=", today + timedelta(rule.threshold))],
                [("activity_ids", "not any", [("activity_type_id", "=", renewal.id)])],
            ]
        )
        vals_list = []
        for contract in self.env["contract.contract"].search_fetch(domain, CONTRACT_FIELDS):
            days_left = (contract.date_end - today).days
            vals = self._contract_vals(contract, contract.date_end, now, days_left, rule.threshold)
            vals["reason_params"] = {}
            vals_list.append(vals)
        return vals_list

    def _check_contract_billing_ending(self, rule, domain, now):
        """Customer contracts with nothing left to invoice whose last invoiced period ends
        within N days: after it, the recurring billing stops."""
        today = now.date()
        limit = today + timedelta(rule.threshold)
        invoiced_until = [
            ("is_canceled", "=", False),
            ("last_date_invoiced", ">=", today),
            ("last_date_invoiced", "<=", limit),
        ]
        domain = expression.AND(
            [
                domain,
                self._customer_contract_domain(),
                [("recurring_next_date", "=", False)],
                [("contract_line_ids", "any", invoiced_until)],
            ]
        )
        vals_list = []
        for contract in self.env["contract.contract"].search_fetch(domain, CONTRACT_FIELDS):
            period_end = max(
                line.last_date_invoiced
                for line in contract.contract_line_ids
                if line.last_date_invoiced and not line.is_canceled
            )
            days_left = (period_end - today).days
            vals = self._contract_vals(contract, period_end, now, days_left, rule.threshold)
            vals["reason_params"] = {}
            vals_list.append(vals)
        return vals_list
