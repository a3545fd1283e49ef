from odoo import fields, models


class CrmGuardianScanRunLine(models.Model):
    """One check of a scan run: where its pass stands (the last source id done) and
    what it found. The scan service writes it in the transaction of each unit of work,
    so the line always says what was committed."""

    _name = "crm.guardian.scan.run.line"
    _description = "CRM Guardian Scan Run Check"
    _order = "run_id desc, sequence, id"

    run_id = fields.Many2one(
        "crm.guardian.scan.run", required=True, readonly=True, index=True, ondelete="cascade"
    )
    check = fields.Selection(selection="_selection_check", required=True, readonly=True)
    sequence = fields.Integer(readonly=True)
    state = fields.Selection(
        [("pending", "Pending"), ("running", "Running"), ("done", "Done")],
        default="pending",
        required=True,
        readonly=True,
    )
    mode = fields.Selection(
        [("full", "Full"), ("incremental", "Changed records only")], readonly=True
    )
    since = fields.Datetime(
        readonly=True, help="Incremental pass: records changed since this time are read."
    )
    signature = fields.Char(readonly=True, help="Fingerprint of the check's rules at its start.")
    pass_started = fields.Datetime(
        readonly=True, help="Start of the transaction of the pass's first unit of work."
    )
    finished = fields.Datetime(readonly=True)
    cursor_id = fields.Integer(
        string="Done up to ID", readonly=True, help="Source records up to this id are scanned."
    )
    max_id = fields.Integer(string="Highest ID", readonly=True)
    chunk_size = fields.Integer(
        readonly=True, help="Source records of its next unit of work (adapts to its speed)."
    )
    fuzzy_phase = fields.Selection(
        [("keys", "Keys"), ("blocks", "Blocks"), ("pairs", "Pairs")],
        string="Phase",
        readonly=True,
        help="Full pass of a fuzzy duplicate check: storing the records' blocking keys, "
        "grouping them into blocks, then scoring the candidate pairs.",
    )
    fuzzy_parts = fields.Integer(
        string="Parts", readonly=True, help="Parts the keys are grouped in (one a unit)."
    )
    units = fields.Integer(readonly=True, help="Units of work done (committed one by one).")
    records_read = fields.Integer(string="Read", readonly=True, help="Source records read.")
    created_count = fields.Integer(string="Created", readonly=True)
    updated_count = fields.Integer(string="Updated", readonly=True)
    resolved_count = fields.Integer(string="Resolved", readonly=True)
    reopened_count = fields.Integer(string="Re-opened", readonly=True)
    duration = fields.Float(
        string="Duration (s)",
        digits=(16, 1),
        readonly=True,
        help="Time spent in its units of work, in seconds.",
    )

    def _selection_check(self):
        return self.env["crm.guardian.scan"]._selection_check()

    def _done_share(self):
        """Share of this line's pass that is done, between 0 and 1."""
        self.ensure_one()
        if self.state == "done":
            return 1.0
        if self.state == "pending" or not self.max_id:
            return 0.0
        share = min(1.0, self.cursor_id / self.max_id)
        # a fuzzy full pass: keys, then blocks (by part), then pairs (by id again)
        if self.fuzzy_phase == "blocks":
            return 0.4 + 0.1 * min(1.0, self.cursor_id / max(self.fuzzy_parts, 1))
        if self.fuzzy_phase == "pairs":
            return 0.5 + 0.5 * share
        return 0.4 * share if self.fuzzy_phase == "keys" else share
