from odoo import api, fields, models
from odoo.tools import SQL, formatLang

# the dashboard cards count up to this many findings, as Odoo's list pager (see
# _compute_counts) ...
COUNT_LIMIT = 10000
# ... or up to this many when each finding must be checked against the records the
# user may read
CHECKED_COUNT_LIMIT = 1000
COUNT_HELP = (
    "Counted up to 10,000, as a list's pager, or up to 1,000 when each finding must be "
    "checked against the records you may read (a salesperson's own documents): "
    "beyond, the card shows 10,000+ or 1,000+."
)


class CrmGuardianSection(models.Model):
    """A dashboard card: one per section of findings (rescue, incomplete, ...)."""

    _name = "crm.guardian.section"
    _description = "CRM Guardian Dashboard Section"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Selection(selection="_selection_section", required=True)
    sequence = fields.Integer(default=10)
    description = fields.Char(translate=True)
    color = fields.Integer()
    open_count = fields.Integer(string="Open Findings", compute="_compute_counts", help=COUNT_HELP)
    high_risk_count = fields.Integer(string="High Risk", compute="_compute_counts", help=COUNT_HELP)
    open_count_label = fields.Char(string="Open Findings (card)", compute="_compute_counts")
    high_risk_count_label = fields.Char(string="High Risk (card)", compute="_compute_counts")

    # the last complete scan, or the running one's progress (crm.guardian.scan.run)
    scan_status = fields.Char(compute="_compute_scan_status")

    _sql_constraints = [("code_uniq", "unique(code)", "One card per section.")]

    def _compute_scan_status(self):
        self.scan_status = self.env["crm.guardian.scan.run"]._status_text()

    @api.model
    def _selection_section(self):
        return self.env["crm.guardian.scan"]._selection_section()

    def _compute_counts(self):
        """Open and high-risk findings per card under the current user's access, each
        counted up to ``COUNT_LIMIT`` (a count past it is ``COUNT_LIMIT + 1``, shown
        as "10,000+"): an exact count reads every open finding (about a second at a
        million leads), a capped one stops at the 10,001st, read from the partial
        index ``crm_guardian_finding_open_count_idx`` (section and high-risk flag
        first). Odoo's list pager counts the same way, and the card opens that list.
        A card whose findings must be checked against the records the user may read
        (a salesperson's own leads) counts up to ``CHECKED_COUNT_LIMIT``: each
        finding counted is a probe of its record (eight counts of 10,000 probes: half
        a second at a million leads).

        Each count is a UNION ALL of the parts of ``_search_per_source`` (the source
        models of the card's checks only): each part checks one model's access, a
        semi-join on the readable records instead of a subplan per model inside an OR.
        One query for all the cards."""
        Finding = self.env["crm.guardian.finding"]
        Finding.check_access("read")
        Finding.flush_model(["state", "section", "high_risk", "res_model", "res_id", "company_id"])
        checks = self.env["crm.guardian.scan"]._get_checks().values()
        access = None if self.env.su else Finding._get_record_access_queries()
        rows = []
        limits = {}
        for code in sorted(set(self.mapped("code"))):
            models_ = {check["model"] for check in checks if check["section"] == code}
            checked = any(query is not None for model, query in access or () if model in models_)
            limits[code] = CHECKED_COUNT_LIMIT if checked else COUNT_LIMIT
            domain = [("state", "=", "open"), ("section", "=", code)]
            rows.append(
                self._capped_counts(
                    code,
                    Finding._search_per_source(domain, models_, access),
                    Finding._search_per_source(
                        [*domain, ("high_risk", "=", True)], models_, access
                    ),
                    limits[code],
                )
            )
        counts = {}
        if rows:
            query = SQL(" UNION ALL ").join(rows)
            counts = {
                code: (total, high)
                for code, total, high in Finding._execute_serial(query, by_index=True)
            }
        for card in self:
            card.open_count, card.high_risk_count = counts.get(card.code, (0, 0))
            card._set_count_labels(limits.get(card.code, COUNT_LIMIT))

    @api.model
    def _capped_counts(self, code, queries, high_queries, limit):
        """SQL of the row (``code``, open, high risk) counting ``queries`` (disjoint
        parts of the open findings) and ``high_queries`` (of the high-risk ones), each
        up to ``limit + 1``. One pass counts both when the open findings are no
        more than ``limit`` (the pass then met every high-risk one); else the
        high-risk count is a pass of its own, which PostgreSQL runs only then."""
        if not queries:
            return SQL("SELECT %s, 0, 0", code)
        Finding = self.env["crm.guardian.finding"]
        high = SQL("0")
        if high_queries:
            high = SQL(
                "(SELECT COUNT(*) FROM %s AS capped)",
                Finding._union_limited(high_queries, limit + 1, "high_risk"),
            )
        return SQL(
            "SELECT %s, total, CASE WHEN total <= %s THEN high ELSE %s END"
            " FROM (SELECT COUNT(*) AS total, COUNT(*) FILTER (WHERE high_risk) AS high"
            " FROM %s AS capped) AS pass",
            code,
            limit,
            high,
            Finding._union_limited(queries, limit + 1, "high_risk"),
        )

    def _set_count_labels(self, limit=None):
        """The cards' count labels, from their counts; ``limit``: the counts were
        capped to it (else exact)."""
        for card in self:
            card.open_count_label = self._count_label(card.open_count, limit)
            card.high_risk_count_label = self._count_label(card.high_risk_count, limit)

    def _count_label(self, count, limit=None):
        if limit is not None and count > limit:
            return f"{formatLang(self.env, limit, digits=0)}+"  # as the list's pager
        return formatLang(self.env, count, digits=0)

    def action_open_findings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_guardian.crm_guardian_finding_action"
        )
        action["name"] = self.name
        action["domain"] = [("section", "=", self.code)]
        action["context"] = {"search_default_filter_open": 1}
        return action

    def action_scan_now(self):
        return self.env["crm.guardian.finding"].action_scan_now()
