from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ServiceJobLine(models.Model):
    _inherit = "service.job.line"

    product_tracking = fields.Selection(related="product_id.tracking")
    lot_id = fields.Many2one(
        "stock.lot",
        string="Lot/Serial Number",
        check_company=True,
        domain="[('product_id', '=', product_id)]",
        help="The lot or serial number of the part fitted (tracked products).",
    )
    stock_move_ids = fields.One2many(
        "stock.move", "service_job_line_id", string="Stock Moves", readonly=True
    )
    qty_consumed = fields.Float(
        string="Consumed",
        digits="Product Unit of Measure",
        compute="_compute_qty_consumed",
        compute_sudo=True,
        help="Taken from the warehouse's stock, less what was given back.",
    )

    @api.depends("stock_move_ids.state", "stock_move_ids.quantity")
    def _compute_qty_consumed(self):
        for line in self:
            line.qty_consumed = line._get_consumed_quantity()

    @api.constrains("lot_id", "product_id", "quantity")
    def _check_lot(self):
        for line in self:
            if line.lot_id and line.lot_id.product_id != line.product_id:
                raise ValidationError(
                    self.env._(
                        "Lot %(lot)s is not a lot of %(product)s.",
                        lot=line.lot_id.name,
                        product=line.product_id.display_name,
                    )
                )
            if line.product_tracking == "serial" and line.quantity > 1:
                raise ValidationError(
                    self.env._(
                        "%(product)s is tracked by serial number: one line per unit.",
                        product=line.product_id.display_name,
                    )
                )

    def _get_consumed_quantity(self):
        """Quantity of the line's product consumed by its done moves, less what was returned,
        in the line's unit."""
        self.ensure_one()
        consumed = 0.0
        for move in self.stock_move_ids.filtered(lambda move: move.state == "done"):
            quantity = move.product_uom._compute_quantity(move.quantity, self.product_uom_id)
            consumed += -quantity if move.location_id.usage != "internal" else quantity
        return consumed

    def _prepare_stock_move_values(self, quantity, source, destination):
        """A move of ``quantity`` of the line's part from ``source`` to ``destination``, with
        the line's lot, done at once."""
        self.ensure_one()
        return {
            "name": self.job_id.name,
            "origin": self.job_id.name,
            "reference": self.job_id.name,
            "product_id": self.product_id.id,
            "product_uom": self.product_uom_id.id,
            "product_uom_qty": quantity,
            "location_id": source.id,
            "location_dest_id": destination.id,
            "company_id": self.company_id.id,
            "service_job_id": self.job_id.id,
            "service_job_line_id": self.id,
            "picked": True,
            "move_line_ids": [
                fields.Command.create(
                    {
                        "product_id": self.product_id.id,
                        "product_uom_id": self.product_uom_id.id,
                        "quantity": quantity,
                        "location_id": source.id,
                        "location_dest_id": destination.id,
                        "lot_id": self.lot_id.id,
                        "company_id": self.company_id.id,
                    }
                )
            ],
        }
