from odoo import api, fields, models

# Who ticked a line and when is written by the server only.
STAMP_FIELDS = ("done_by_id", "done_date")


class ServiceChecklistLine(models.Model):
    _name = "service.checklist.line"
    _description = "Service Job Checklist Line"
    _order = "job_id, sequence, id"

    job_id = fields.Many2one("service.job", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="job_id.company_id", store=True, index=True)
    template_id = fields.Many2one("service.checklist.template", ondelete="set null", index=True)
    kind = fields.Selection(related="template_id.kind")
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True)
    is_done = fields.Boolean("Done")
    done_by_id = fields.Many2one("res.users", readonly=True)
    done_date = fields.Datetime(string="Done On", readonly=True)

    def _stamp_values(self, is_done):
        if is_done:
            return {"done_by_id": self.env.uid, "done_date": fields.Datetime.now()}
        return {"done_by_id": False, "done_date": False}

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [
            {key: value for key, value in vals.items() if key not in STAMP_FIELDS}
            for vals in vals_list
        ]
        for vals in vals_list:
            if vals.get("is_done"):
                vals.update(self._stamp_values(True))
        return super().create(vals_list)

    def write(self, vals):
        vals = {key: value for key, value in vals.items() if key not in STAMP_FIELDS}
        if "is_done" not in vals:
            return super().write(vals)
        is_done = bool(vals["is_done"])
        changed = self.filtered(lambda line: line.is_done != is_done)
        vals.update(self._stamp_values(is_done))
        res = super(ServiceChecklistLine, changed).write(vals)
        if self - changed:
            vals = {key: value for key, value in vals.items() if key not in STAMP_FIELDS}
            super(ServiceChecklistLine, self - changed).write(vals)
        return res
