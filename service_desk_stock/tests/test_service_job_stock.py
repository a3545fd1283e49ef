from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.service_desk.tests.common import ServiceDeskCommon


@tagged("post_install", "-at_install")
class TestServiceJobStock(ServiceDeskCommon):
    """A technician moves their job to a stage that consumes parts: the warehouse's stock goes
    down (lots and serials included), and comes back when the job is cancelled."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_parts_and_labour()
        cls.stage_in_progress.consume_parts = True
        cls.stage_cancelled = cls.env.ref("service_desk.service_stage_cancelled")
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.stock = cls.warehouse.lot_stock_id
        cls.part.is_storable = True
        cls.serial_part = cls.env["product.product"].create(
            {"name": "Logic Board", "type": "consu", "is_storable": True, "tracking": "serial"}
        )
        cls.serial = cls.env["stock.lot"].create(
            {"name": "LB-0001", "product_id": cls.serial_part.id, "company_id": cls.company.id}
        )
        Quant = cls.env["stock.quant"]
        Quant._update_available_quantity(cls.part, cls.stock, 10.0)
        Quant._update_available_quantity(cls.serial_part, cls.stock, 1.0, lot_id=cls.serial)
        cls.job = cls._create_job(user=cls.technician)
        cls.part_line, cls.labour_line = cls._add_lines(cls.job, user=cls.technician, part_qty=2.0)
        cls.job = cls.job.with_user(cls.technician)

    def _available(self, product, lot=None):
        return self.env["stock.quant"]._get_available_quantity(product, self.stock, lot_id=lot)

    def test_consume_on_stage_then_cancel_returns(self):
        self.job.stage_id = self.stage_in_progress
        self.assertEqual(self._available(self.part), 8.0)
        moves = self.job.sudo().stock_move_ids
        self.assertEqual(len(moves), 1)  # the labour line moves nothing
        self.assertEqual(moves.state, "done")
        self.assertEqual(moves.location_id, self.stock)
        self.assertEqual(moves.location_dest_id.usage, "production")
        self.assertEqual(moves.service_job_line_id, self.part_line)
        self.assertEqual(self.part_line.qty_consumed, 2.0)
        # Entering the stage again consumes only what was added since.
        self.job.stage_id = self.stage_diagnosing
        self.part_line.quantity = 3.0
        self.job.stage_id = self.stage_in_progress
        self.assertEqual(self._available(self.part), 7.0)
        self.job.stage_id = self.stage_in_progress
        self.assertEqual(len(self.job.sudo().stock_move_ids), 2)
        # Cancelling gives everything back.
        self.job.stage_id = self.stage_cancelled
        self.assertEqual(self._available(self.part), 10.0)
        self.assertEqual(self.part_line.qty_consumed, 0.0)
        self.assertEqual(self.job.with_user(self.officer).sudo().stock_move_count, 3)

    def test_serial_required_consumed_and_returned(self):
        line = (
            self.env["service.job.line"]
            .with_user(self.technician)
            .create({"job_id": self.job.id, "product_id": self.serial_part.id, "quantity": 1.0})
        )
        with self.assertRaisesRegex(UserError, "lot or serial number"):
            self.job.stage_id = self.stage_in_progress
        self.job.invalidate_recordset()
        self.assertEqual(self.job.stage_id, self.stage_received)
        self.assertEqual(self._available(self.part), 10.0)
        line.lot_id = self.serial
        self.job.stage_id = self.stage_in_progress
        self.assertEqual(self._available(self.serial_part, self.serial), 0.0)
        move = self.job.sudo().stock_move_ids.filtered(lambda m: m.product_id == self.serial_part)
        self.assertEqual(move.move_line_ids.lot_id, self.serial)
        self.job.stage_id = self.stage_cancelled
        self.assertEqual(self._available(self.serial_part, self.serial), 1.0)

    def test_stock_user_opens_the_moves(self):
        stock_user = self.officer
        stock_user.groups_id |= self.env.ref("stock.group_stock_user")
        self.job.stage_id = self.stage_in_progress
        job = self.job.with_user(stock_user)
        self.assertEqual(job.stock_move_count, 1)
        action = job.action_view_stock_moves()
        self.assertEqual(
            self.env["stock.move"].with_user(stock_user).search(action["domain"]),
            job.stock_move_ids,
        )
