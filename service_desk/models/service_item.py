import math
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import split_every
from odoo.tools.sql import SQL, index_exists

SERIAL_UNIQUE_INDEX = "service_item_company_serial_active_uniq"
# The average daily use of a meter is measured over the readings of this many days.
METER_USAGE_DAYS = 365
# Beyond this many days, a meter's forecast is no forecast.
METER_FORECAST_MAX_DAYS = 3650


class ServiceItem(models.Model):
    """A customer's piece of equipment (phone, laptop, boiler...): what jobs are done on and
    maintenance plans service. A serial is unique per company among active items."""

    _name = "service.item"
    _description = "Service Item"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _check_company_auto = True
    _rec_names_search = ["name", "serial", "brand", "model_name"]

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    name = fields.Char(
        string="Description",
        tracking=True,
        help="Optional, e.g. 'Kitchen fridge'. Without it the item shows as brand, model "
        "and serial.",
    )
    item_type = fields.Char(string="Type", help="Phone, laptop, washing machine, car ...")
    brand = fields.Char(tracking=True)
    model_name = fields.Char(string="Model", tracking=True)
    serial = fields.Char(string="Serial / IMEI", index="btree_not_null", tracking=True, copy=False)
    purchase_date = fields.Date()
    partner_id = fields.Many2one(
        "res.partner",
        string="Owner",
        required=True,
        index=True,
        tracking=True,
        check_company=True,
    )
    commercial_partner_id = fields.Many2one(
        related="partner_id.commercial_partner_id", store=True, index=True
    )
    address_id = fields.Many2one(
        "res.partner",
        string="Location",
        check_company=True,
        domain="[('id', 'child_of', commercial_partner_id)]",
        help="Where the item is, when it is serviced on site: one of the owner's addresses.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    note = fields.Html(string="Notes")
    active = fields.Boolean(default=True, tracking=True)
    job_ids = fields.One2many("service.job", "item_id", string="Jobs")
    job_count = fields.Integer(compute="_compute_job_count")
    plan_ids = fields.One2many("service.maintenance.plan", "item_id", string="Maintenance Plans")
    plan_count = fields.Integer(compute="_compute_plan_count")
    # Meter (hours run, kilometres...): readings typed on the item or on its jobs.
    meter_reading_ids = fields.One2many(
        "service.item.meter.reading", "item_id", string="Meter Readings"
    )
    meter_value = fields.Float(
        string="Meter", compute="_compute_meter", digits=(16, 1), help="The latest reading."
    )
    meter_date = fields.Date(string="Read On", compute="_compute_meter")
    meter_daily_usage = fields.Float(
        string="Daily Use",
        compute="_compute_meter",
        digits=(16, 2),
        help="Average use per day over the readings of the last year.",
    )
    meter_unit = fields.Char(
        compute="_compute_meter_unit",
        help="The meter of the category of the item's plans by meter reading.",
    )
    # Warranty: given by the item's closed jobs (see service.job.warranty_date_end).
    warranty_date_end = fields.Date(
        string="Warranty Until",
        compute="_compute_warranty",
        help="Last day of the latest warranty given by the item's closed jobs.",
    )
    is_under_warranty = fields.Boolean(
        string="Under Warranty", compute="_compute_warranty", search="_search_is_under_warranty"
    )
    warranty_claim_ids = fields.One2many(
        "service.job",
        "item_id",
        string="Warranty Claims",
        domain=[("warranty_job_id", "!=", False)],
    )

    def init(self):  # pylint: disable=missing-return
        super().init()
        # The serial is unique per company among active items; archived items keep theirs.
        if not index_exists(self.env.cr, SERIAL_UNIQUE_INDEX):
            self.env.cr.execute(
                SQL(
                    "CREATE UNIQUE INDEX %s ON service_item (company_id, serial)"
                    " WHERE active AND serial IS NOT NULL",
                    SQL.identifier(SERIAL_UNIQUE_INDEX),
                )
            )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("name", "item_type", "brand", "model_name", "serial")
    def _compute_display_name(self):
        for item in self:
            label = item.name or " ".join(filter(None, [item.brand, item.model_name]))
            label = label or item.item_type or ""
            if item.serial:
                label = f"{label} ({item.serial})" if label else item.serial
            item.display_name = label or self.env._("Item #%(id)s", id=item.id or "")

    def _compute_job_count(self):
        counts = dict(
            self.env["service.job"]._read_group(
                [("item_id", "in", self.ids)], ["item_id"], ["__count"]
            )
        )
        for item in self:
            item.job_count = counts.get(item, 0)

    def _compute_plan_count(self):
        counts = dict(
            self.env["service.maintenance.plan"]._read_group(
                [("item_id", "in", self.ids)], ["item_id"], ["__count"]
            )
        )
        for item in self:
            item.plan_count = counts.get(item, 0)

    @api.depends("meter_reading_ids.value", "meter_reading_ids.date")
    def _compute_meter(self):
        readings = self._meter_readings()
        for item in self:
            item_readings = readings.get(item.id)
            latest = item_readings[-1] if item_readings else None
            item.meter_value = latest[1] if latest else 0.0
            item.meter_date = latest[0] if latest else False
            item.meter_daily_usage = self._meter_usage(item_readings or [])

    def _compute_meter_unit(self):
        units = dict(
            self.env["service.category"]._fields["meter_unit"]._description_selection(self.env)
        )
        for item in self:
            plans = item.plan_ids.filtered(lambda plan: plan.interval_unit == "meter")
            unit = plans[:1].category_id.meter_unit
            item.meter_unit = units.get(unit, "") if unit else ""

    def _compute_warranty(self):
        # sudo: the warranty is the item's, whoever may read the jobs that gave it; only the
        # end date is read.
        ends = dict(
            self.env["service.job"]
            .sudo()
            ._read_group(
                [("item_id", "in", self.ids), ("warranty_date_end", "!=", False)],
                ["item_id"],
                ["warranty_date_end:max"],
            )
        )
        today = fields.Date.context_today(self)
        for item in self:
            item.warranty_date_end = ends.get(item, False)
            item.is_under_warranty = (
                bool(item.warranty_date_end) and item.warranty_date_end >= today
            )

    def _search_is_under_warranty(self, operator, value):
        if operator not in ("=", "!="):
            return NotImplemented
        today = fields.Date.context_today(self)
        # sudo: as in _compute_warranty, whoever may read the jobs.
        jobs = (
            self.env["service.job"]
            .sudo()
            ._search([("warranty_date_end", ">=", today), ("item_id", "!=", False)])
        )
        under = [("id", "in", jobs.subselect("item_id"))]
        return under if (operator == "=") == bool(value) else ["!", *under]

    # ------------------------------------------------------------
    # METER
    # ------------------------------------------------------------

    def _meter_readings(self):
        """``{item id: [(date, value), ...]}`` in date order, in one query (new records:
        their readings in memory)."""
        result = {}
        stored = self.filtered("id")  # new records (a form being edited) have no readings saved
        if stored:
            # sudo: a forecast uses every reading of the item, whoever may read them.
            readings = (
                self.env["service.item.meter.reading"]
                .sudo()
                .search_fetch([("item_id", "in", stored.ids)], ["item_id", "date", "value"])
            )
            for reading in readings:
                result.setdefault(reading.item_id.id, []).append((reading.date, reading.value))
        for item in self - stored:
            if item.meter_reading_ids:
                result[item.id] = [(r.date, r.value) for r in item.meter_reading_ids if r.date]
        for values in result.values():
            values.sort()
        return result

    @api.model
    def _meter_usage(self, readings):
        """Average use per day of ``readings`` (``(date, value)`` in date order) over the
        last ``METER_USAGE_DAYS`` days before the latest one (at least two readings)."""
        if len(readings) < 2:
            return 0.0
        last_date, last_value = readings[-1]
        since = last_date - timedelta(days=METER_USAGE_DAYS)
        older = [r for r in readings[:-1] if r[0] < last_date]
        window = [r for r in older if r[0] >= since] or older[-1:]
        if not window:
            return 0.0
        first_date, first_value = window[0]
        return max(last_value - first_value, 0.0) / (last_date - first_date).days

    def _meter_forecast(self, targets):
        """When each item's meter reaches its target value: ``targets`` maps an item id to a
        value; returns ``{item id: date or False}``: the date of the first reading at or past
        the target, else the latest reading's date plus the days its average daily use takes
        to get there; False without readings, without use or beyond 10 years."""
        readings = self._meter_readings()
        result = {}
        for item_id, target in targets.items():
            item_readings = readings.get(item_id) or []
            reached = [date for date, value in item_readings if value >= target]
            usage = self._meter_usage(item_readings)
            if reached:
                result[item_id] = reached[0]
            elif item_readings and usage > 0:
                last_date, last_value = item_readings[-1]
                days = math.ceil((target - last_value) / usage)
                result[item_id] = (
                    last_date + timedelta(days=days) if days <= METER_FORECAST_MAX_DAYS else False
                )
            else:
                result[item_id] = False
        return result

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    def _check_serial_available(self, keys):
        """Raise a ValidationError if one of the ``(company id, serial)`` keys is twice in
        ``keys`` or taken by an active item other than ``self``. Checked before the database
        writes, whose unique index is the last guard (concurrent saves)."""
        keys = [(company, serial) for company, serial in keys if serial]
        if not keys:
            return
        # sudo: the clash may be an item of another customer the user cannot read; only
        # its serial is told, the one the user typed.
        clashes = (
            self.sudo()
            .with_context(active_test=True)
            .search_fetch(
                [
                    ("serial", "in", [serial for _company, serial in keys]),
                    ("company_id", "in", [company for company, _serial in keys]),
                    ("id", "not in", self.ids),
                ],
                ["serial", "company_id"],
            )
        )
        taken = {(item.company_id.id, item.serial) for item in clashes}
        seen = set()
        for key in keys:
            if key in taken or key in seen:
                raise ValidationError(
                    self.env._(
                        "Another active item of %(company)s already has the serial %(serial)s.",
                        company=self.env["res.company"].browse(key[0]).name,
                        serial=key[1],
                    )
                )
            seen.add(key)

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._clean_serial(vals)
        self._check_serial_available(
            (vals.get("company_id") or self.env.company.id, vals.get("serial"))
            for vals in vals_list
            if vals.get("active", True)
        )
        return super().create(vals_list)

    def write(self, vals):
        self._clean_serial(vals)
        if {"serial", "company_id", "active"} & set(vals):
            self._check_serial_available(
                (vals.get("company_id", item.company_id.id), vals.get("serial", item.serial))
                for item in self
                if vals.get("active", item.active)
            )
        return super().write(vals)

    @api.model
    def _clean_serial(self, vals):
        """Serials are compared as typed, without surrounding spaces; empty means none."""
        if "serial" in vals:
            vals["serial"] = (vals["serial"] or "").strip() or False

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_view_jobs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("service_desk.service_job_action")
        action.update(
            domain=[("item_id", "=", self.id)],
            context={"default_item_id": self.id, "default_partner_id": self.partner_id.id},
        )
        return action

    def action_view_warranty_claims(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("service_desk.service_job_action")
        action.update(
            domain=[("item_id", "=", self.id), ("warranty_job_id", "!=", False)],
            context={"create": False},
        )
        return action

    def action_view_plans(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "service_desk.service_maintenance_plan_action"
        )
        action.update(
            domain=[("item_id", "=", self.id)],
            context={"default_item_id": self.id, "default_partner_id": self.partner_id.id},
        )
        return action

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_job_values(self):
        """The job's item fields (a copy taken at intake) for this item."""
        self.ensure_one()
        return {
            "item_type": self.item_type,
            "item_brand": self.brand,
            "item_model": self.model_name,
            "item_serial": self.serial,
        }

    @api.model
    def _find_by_serial(self, pairs):
        """Active items matching ``(commercial partner id, company id, serial)`` triples:
        a dict from the triple to the item, in one query."""
        serials = {serial for _partner, _company, serial in pairs if serial}
        if not serials:
            return {}
        items = self.search_fetch(
            [("serial", "in", list(serials))],
            ["serial", "commercial_partner_id", "company_id"],
        )
        return {
            (item.commercial_partner_id.id, item.company_id.id, item.serial): item for item in items
        }

    # ------------------------------------------------------------
    # MIGRATION (18.0.1.1.0)
    # ------------------------------------------------------------

    @api.model
    def _create_items_from_jobs(self):
        """Give an item to each job without one that has item fields: one item per company,
        customer and serial (an existing active item of that customer and serial is reused),
        one per job without a serial. When a serial is on several customers' jobs of one
        company (an item sold on), the customer of the latest job gets the active item, the
        others an archived one. Set-based; returns the number of jobs linked."""
        Job = self.env["service.job"].with_context(active_test=False)
        groups = Job._read_group(
            [("item_id", "=", False), ("item_serial", "!=", False)],
            ["company_id", "commercial_partner_id", "item_serial"],
            ["id:array_agg", "id:max"],
        )
        by_key = {}
        for company, partner, serial, job_ids, last_id in groups:
            if not serial.strip():
                continue
            key = (partner.id, company.id, serial.strip())
            ids, last = by_key.get(key, ([], 0))
            by_key[key] = (ids + job_ids, max(last, last_id))
        no_serial = Job.search(
            [
                ("item_id", "=", False),
                "|",
                ("item_serial", "=", False),
                ("item_serial", "=", ""),
                "|",
                "|",
                ("item_type", "!=", False),
                ("item_brand", "!=", False),
                ("item_model", "!=", False),
            ],
            order="id",
        ).ids
        source_ids = [last for _ids, last in by_key.values()] + no_serial
        linked = 0
        for chunk in split_every(1000, source_ids):
            sources = Job.browse(chunk)
            sources.fetch(["item_type", "item_brand", "item_model", "item_serial"])
            sources.fetch(["commercial_partner_id", "company_id"])
            linked += self._link_jobs_to_new_items(sources, by_key)
        return linked

    @api.model
    def _link_jobs_to_new_items(self, sources, by_key):
        """Create (or reuse) the items of ``sources`` (the latest job of each serial group of
        ``by_key``, or a job without serial) and link their jobs in one UPDATE."""
        keys = {
            job: (job.commercial_partner_id.id, job.company_id.id, job.item_serial.strip())
            for job in sources
            if job.item_serial and job.item_serial.strip()
        }
        existing = self._find_by_serial(set(keys.values()))
        active_serials = {(company, serial) for _p, company, serial in existing}
        # Per company and serial, the customer of the latest job keeps the active item.
        latest = {}
        for key, (_ids, last) in by_key.items():
            company_serial = (key[1], key[2])
            if last > latest.get(company_serial, (0, None))[0]:
                latest[company_serial] = (last, key)
        job_ids, item_of_source, vals_list, new_sources = [], {}, [], []
        for job in sources:
            key = keys.get(job)
            if key in existing:
                item_of_source[job] = existing[key]
                continue
            active = not key or (
                (key[1], key[2]) not in active_serials and latest[(key[1], key[2])][1] == key
            )
            vals_list.append(
                {
                    "partner_id": job.commercial_partner_id.id,
                    "company_id": job.company_id.id,
                    "item_type": job.item_type,
                    "brand": job.item_brand,
                    "model_name": job.item_model,
                    "serial": key[2] if key else False,
                    "active": active,
                }
            )
            new_sources.append(job)
        items = self.with_context(tracking_disable=True).create(vals_list)
        item_of_source.update(zip(new_sources, items, strict=True))
        item_ids = []
        for job, item in item_of_source.items():
            ids = by_key[keys[job]][0] if job in keys else [job.id]
            job_ids += ids
            item_ids += [item.id] * len(ids)
        # SQL: the jobs already hold these values; the ORM write would copy them again and
        # track each job. One statement for the chunk.
        self.env.cr.execute(
            SQL(
                "UPDATE service_job SET item_id = v.item_id FROM"
                " (SELECT unnest(%s::int[]) AS job_id, unnest(%s::int[]) AS item_id) v"
                " WHERE service_job.id = v.job_id AND service_job.item_id IS NULL",
                job_ids,
                item_ids,
            )
        )
        self.env["service.job"].invalidate_model(["item_id"])
        self.invalidate_model(["job_ids", "job_count"])
        return self.env.cr.rowcount
