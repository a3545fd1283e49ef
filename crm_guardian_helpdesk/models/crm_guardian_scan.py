from datetime import timedelta

from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import SQL

# Share of the first-response deadline after which a ticket is "at risk".
SLA_WARNING_SHARE = 0.75


class CrmGuardianScan(models.AbstractModel):
    """Ticket checks. Thresholds: hours for idle, unassigned and first response; days for
    resolution (the baseline rules say so in their names)."""

    _inherit = "crm.guardian.scan"

    @api.model
    def _get_checks(self):
        checks = super()._get_checks()
        checks.update(
            {
                "ticket_idle": {
                    "name": self.env._("Idle ticket"),
                    "section": "tickets",
                    "model": "helpdesk.ticket",
                    "sequence": 310,
                    "reason": self.env._(
                        "No message or stage change for %(hours)s hours in stage %(stage)s "
                        "(threshold %(threshold)s hours)."
                    ),
                    "unit": "hours",
                },
                "ticket_unassigned": {
                    "name": self.env._("Unassigned ticket"),
                    "section": "tickets",
                    "model": "helpdesk.ticket",
                    "sequence": 320,
                    "reason": self.env._(
                        "Nobody is assigned %(hours)s hours after the ticket was opened "
                        "(threshold %(threshold)s hours)."
                    ),
                    "unit": "hours",
                },
                "ticket_first_response": {
                    "name": self.env._("First response SLA at risk"),
                    "section": "tickets",
                    "model": "helpdesk.ticket",
                    "sequence": 330,
                    "reason": {
                        "breached": self.env._(
                            "First-response SLA breached: no reply to the customer %(hours)s "
                            "hours after creation (SLA %(sla)s hours, due %(deadline)s)."
                        ),
                        "at_risk": self.env._(
                            "First-response SLA at risk: no reply to the customer yet, due in "
                            "%(left)s hours (SLA %(sla)s hours, due %(deadline)s)."
                        ),
                    },
                    "unit": "hours",
                },
                "ticket_resolution": {
                    "name": self.env._("Resolution SLA at risk"),
                    "section": "tickets",
                    "model": "helpdesk.ticket",
                    "sequence": 340,
                    "reason": self.env._(
                        "Open for %(age)s days (resolution SLA %(threshold)s days)."
                    ),
                    "unit": "days",
                },
            }
        )
        return checks

    @api.model
    def _get_sections(self):
        return {**super()._get_sections(), "tickets": self.env._("Tickets")}

    # helpers -------------------------------------------------------------

    def _open_ticket_domain(self):
        return [("active", "=", True), ("stage_id.closed", "=", False)]

    def _hours(self, since, now):
        return int((now - since).total_seconds() // 3600)

    def _ticket_rows(self, domain, **columns):
        """Rows of the matching tickets: id, display name ("number - name"), commercial
        customer, assignee, company, creation and ``columns``; one query."""

        def display_name(query):
            return SQL(
                "CONCAT_WS(' - ', %s, %s)",
                SQL.identifier(query.table, "number"),
                SQL.identifier(query.table, "name"),
            )

        return self._fetch_rows(
            "helpdesk.ticket",
            domain,
            {
                "id": "id",
                "name": display_name,
                "partner_id": "partner_id.commercial_partner_id",
                "user_id": "user_id",
                "company_id": "company_id",
                "created": "create_date",
                **columns,
            },
        )

    def _staff_reply_domain(self):
        """A message to the customer written by an internal user (not a log note)."""
        return [
            ("message_type", "in", ("email", "comment")),
            ("subtype_id", "=", self.env.ref("mail.mt_comment").id),
            ("author_id.user_ids", "any", [("share", "=", False)]),
        ]

    # checks --------------------------------------------------------------

    def _check_ticket_idle(self, rule, domain, now):
        """Open tickets with no stage change and no message for N hours."""
        cutoff = now - timedelta(hours=rule.threshold)
        domain = expression.AND(
            [
                domain,
                self._open_ticket_domain(),
                [("last_stage_update", "<", cutoff)],
                [("message_ids", "not any", [("date", ">=", cutoff)])],
            ]
        )
        rows = self._ticket_rows(
            domain,
            stage_changed="last_stage_update",
            stage_id="stage_id",
            last_message=self._last_message_sql("helpdesk.ticket"),
        )
        today = now.date()
        vals_list = []
        for row in rows:
            last = max(filter(None, (row["stage_changed"], row["last_message"])))
            hours = self._hours(last, now)
            vals = self._row_vals(row, last, today, ratio=hours / max(rule.threshold, 1))
            vals["reason_params"] = {
                "hours": hours,
                "stage": {"record": ["helpdesk.ticket.stage", row["stage_id"]]},
            }
            vals_list.append(vals)
        return vals_list

    def _check_ticket_unassigned(self, rule, domain, now):
        """Open tickets without an assignee N hours after creation."""
        cutoff = now - timedelta(hours=rule.threshold)
        domain = expression.AND(
            [
                domain,
                self._open_ticket_domain(),
                [("user_id", "=", False), ("create_date", "<", cutoff)],
            ]
        )
        today = now.date()
        vals_list = []
        for row in self._ticket_rows(domain):
            hours = self._hours(row["created"], now)
            vals = self._row_vals(row, row["created"], today, ratio=hours / max(rule.threshold, 1))
            vals["reason_params"] = {"hours": hours}
            vals_list.append(vals)
        return vals_list

    def _check_ticket_first_response(self, rule, domain, now):
        """Open tickets without a staff reply to the customer: at risk from 75% of the
        first-response time (N hours after creation), breached after it."""
        deadline_hours = rule.threshold
        warn_cutoff = now - timedelta(hours=deadline_hours * SLA_WARNING_SHARE)
        domain = expression.AND(
            [
                domain,
                self._open_ticket_domain(),
                [("create_date", "<=", warn_cutoff)],
                [("message_ids", "not any", self._staff_reply_domain())],
            ]
        )
        today = now.date()
        vals_list = []
        for row in self._ticket_rows(domain):
            deadline = row["created"] + timedelta(hours=deadline_hours)
            hours = self._hours(row["created"], now)
            vals = self._row_vals(row, row["created"], today, ratio=hours / max(deadline_hours, 1))
            vals["reason_params"] = {
                "variant": "breached" if now >= deadline else "at_risk",
                "hours": hours,
                "left": self._hours(now, deadline),
                "sla": deadline_hours,
                "deadline": {"datetime": fields.Datetime.to_string(deadline)},
            }
            vals_list.append(vals)
        return vals_list

    def _check_ticket_resolution(self, rule, domain, now):
        """Tickets open for longer than N days."""
        cutoff = now - timedelta(days=rule.threshold)
        domain = expression.AND(
            [domain, self._open_ticket_domain(), [("create_date", "<", cutoff)]]
        )
        today = now.date()
        vals_list = []
        for row in self._ticket_rows(domain):
            vals = self._row_vals(row, row["created"], today)
            vals["reason_params"] = {}
            vals_list.append(vals)
        return vals_list
