from itertools import pairwise

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ServiceItemMeterReading(models.Model):
    """A reading of an item's meter (hours run, kilometres, cycles...) on a date, typed on the
    item or by the technician on a job. An item's readings never go down over time; the
    maintenance plans by meter reading (see ``service.maintenance.plan``) are due from them."""

    _name = "service.item.meter.reading"
    _description = "Meter Reading"
    _order = "date desc, id desc"
    _check_company_auto = True

    item_id = fields.Many2one(
        "service.item", required=True, index=True, ondelete="cascade", check_company=True
    )
    company_id = fields.Many2one(related="item_id.company_id", store=True, index=True)
    date = fields.Date(required=True, default=fields.Date.context_today)
    value = fields.Float(string="Reading", required=True, digits=(16, 1))
    job_id = fields.Many2one(
        "service.job",
        index="btree_not_null",
        ondelete="set null",
        check_company=True,
        domain="[('item_id', '=', item_id)]",
        help="The job during which the reading was taken.",
    )
    user_id = fields.Many2one(
        "res.users", string="Recorded By", default=lambda self: self.env.user, readonly=True
    )
    meter_unit = fields.Char(related="item_id.meter_unit")

    @api.depends("value", "date", "item_id")
    def _compute_display_name(self):
        for reading in self:
            date = f"({reading.date})" if reading.date else ""
            parts = [f"{reading.value:g}", reading.meter_unit, date]
            reading.display_name = " ".join(filter(None, parts))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            # A reading typed on a job is of the job's item.
            if vals.get("job_id") and not vals.get("item_id"):
                vals["item_id"] = self.env["service.job"].browse(vals["job_id"]).item_id.id
        readings = super().create(vals_list)
        readings._rebase_meter_plans()
        return readings

    @api.constrains("item_id", "date", "value")
    def _check_increasing(self):
        """Each item's readings, in date order, never go down (a meter is not wound back)."""
        # sudo: the check compares with every reading of the item, whoever may read them;
        # only the clashing values and dates are told.
        readings = self.sudo().search_fetch(
            [("item_id", "in", self.item_id.ids)], ["item_id", "date", "value"], order="id"
        )
        by_item = {}
        for reading in readings:
            by_item.setdefault(reading.item_id, []).append(reading)
        for item, item_readings in by_item.items():
            item_readings.sort(key=lambda r: (r.date, r.id))
            for before, after in pairwise(item_readings):
                if after.value < before.value:
                    raise ValidationError(
                        self.env._(
                            "Meter readings of %(item)s cannot go down: %(after)s on "
                            "%(after_date)s is less than %(before)s on %(before_date)s.",
                            item=item.display_name,
                            after=after.value,
                            after_date=after.date,
                            before=before.value,
                            before_date=before.date,
                        )
                    )

    @api.constrains("value")
    def _check_value(self):
        if any(reading.value < 0 for reading in self):
            raise ValidationError(self.env._("A meter reading cannot be negative."))

    def _rebase_meter_plans(self):
        """A reading taken during the latest job of a plan by meter reading is the reading of
        its visit: the plan's next visit is due one interval after it."""
        jobs = self.job_id.filtered(lambda job: job.maintenance_plan_id.interval_unit == "meter")
        for job in jobs:
            # sudo: a technician records the reading of their visit; the plan (which they may
            # not write) only moves on from it.
            plan = job.maintenance_plan_id.sudo()
            if plan.last_job_id != job:
                continue
            value = max(self.filtered(lambda r, job=job: r.job_id == job).mapped("value"))
            plan.meter_next_value = value + plan.interval_number
