from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare


class ServiceJob(models.Model):
    _inherit = "service.job"

    stock_move_ids = fields.One2many(
        "stock.move", "service_job_id", string="Parts Moves", readonly=True, copy=False
    )
    stock_move_count = fields.Integer(
        compute="_compute_stock_move_count", groups="stock.group_stock_user"
    )

    @api.depends("stock_move_ids")
    def _compute_stock_move_count(self):
        groups = self.env["stock.move"]._read_group(
            [("service_job_id", "in", self.ids)], ["service_job_id"], ["__count"]
        )
        counts = {job.id: count for job, count in groups}
        for job in self:
            job.stock_move_count = counts.get(job.id, 0)

    def write(self, vals):
        stage = self.env["service.stage"].browse(vals.get("stage_id"))
        if stage.consume_parts and not stage.is_cancelled:
            self._check_parts_lots()
        res = super().write(vals)
        if stage.is_cancelled:
            self._move_parts(consume=False)
        elif stage.consume_parts:
            self._move_parts(consume=True)
        return res

    def action_view_stock_moves(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("stock.stock_move_action")
        action["domain"] = [("service_job_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    def _get_parts_stock_location(self):
        """The stock location of the job company's (first) warehouse."""
        self.ensure_one()
        # sudo: technicians move jobs without Inventory rights; only the location is read.
        warehouse = (
            self.env["stock.warehouse"]
            .sudo()
            .search([("company_id", "=", self.company_id.id)], order="sequence, id", limit=1)
        )
        if not warehouse:
            raise UserError(
                self.env._(
                    "The company %(company)s has no warehouse to take the parts from.",
                    company=self.company_id.name,
                )
            )
        return warehouse.lot_stock_id

    def _check_parts_lots(self):
        """Raise a UserError if a part line of a tracked product has no lot / serial number."""
        for job in self:
            for line in job.line_ids:
                if line.line_type == "part" and line.product_tracking != "none" and not line.lot_id:
                    raise UserError(
                        self.env._(
                            "%(job)s: give the lot or serial number of %(product)s before its "
                            "parts are consumed.",
                            job=job.display_name,
                            product=line.product_id.display_name,
                        )
                    )

    def _move_parts(self, consume):
        """Bring the stock consumed by the jobs' part lines to their quantities (``consume``)
        or back to nothing (cancelled job): done moves between the warehouse's stock and the
        product's production (consumption) location, with the lines' lots. Idempotent."""
        if consume:
            self._check_parts_lots()
        values = []
        for job in self:
            lines = job.line_ids.filtered(lambda line: line.line_type == "part")
            if not lines:
                continue
            stock = job._get_parts_stock_location()
            for line in lines:
                target = line.quantity if consume else 0.0
                delta = target - line.sudo()._get_consumed_quantity()
                rounding = line.product_uom_id.rounding
                if float_compare(delta, 0.0, precision_rounding=rounding) == 0:
                    continue
                production = line.product_id.with_company(job.company_id).property_stock_production
                source, destination = (stock, production) if delta > 0 else (production, stock)
                values.append(line._prepare_stock_move_values(abs(delta), source, destination))
        if values:
            # sudo: technicians move their jobs without Inventory rights; the moves are built
            # from the job's own part lines only, which the record rules let them edit.
            moves = self.env["stock.move"].sudo().create(values)
            moves._action_confirm(merge=False)
            moves._action_done()
