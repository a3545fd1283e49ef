from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import ServiceDeskCommon


@tagged("post_install", "-at_install")
class TestServiceJobLineBilling(ServiceDeskCommon):
    """Quotations and invoices built from the job's parts and labour, as an officer who sells
    and invoices."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_parts_and_labour()
        cls.job = cls._create_job(user=cls.officer, item_serial="SN-BILL-1")
        cls.part_line, cls.labour_line = cls._add_lines(cls.job, part_qty=2.0, hours=1.5)
        cls.job = cls.job.with_user(cls.officer)

    def _quote(self):
        return self.env["sale.order"].browse(self.job.action_create_quotation()["res_id"])

    def _invoice(self):
        return self.env["account.move"].browse(self.job.action_create_invoice()["res_id"])

    def test_quotation_from_lines_then_updated_while_draft(self):
        order = self._quote()
        self.assertEqual(order.order_line[0].display_type, "line_note")
        self.assertIn("SN-BILL-1", order.order_line[0].name)
        sale_lines = order.order_line[1:]
        self.assertEqual(sale_lines.service_job_line_id, self.part_line | self.labour_line)
        self.assertEqual(sale_lines.mapped("price_unit"), [45.0, 60.0])
        self.assertEqual(sale_lines.mapped("product_uom_qty"), [2.0, 1.5])
        self.assertEqual(order.amount_untaxed, self.job.amount_untaxed)
        self.assertEqual(order.amount_total, self.job.amount_total)
        self.assertEqual(order.service_job_ids, self.job)
        # Changes on the job: a quantity, a new line, a deleted line; the draft is updated.
        self.part_line.with_user(self.officer).quantity = 3.0
        self.labour_line.with_user(self.officer).unlink()
        new_line = (
            self.env["service.job.line"]
            .with_user(self.officer)
            .create(
                {
                    "job_id": self.job.id,
                    "line_type": "labour",
                    "product_id": self.labour.id,
                    "quantity": 2.0,
                }
            )
        )
        self.assertEqual(self._quote(), order)
        self.assertEqual(len(self.job.sale_order_ids), 1)
        sale_lines = order.order_line.filtered("service_job_line_id")
        self.assertEqual(sale_lines.service_job_line_id, self.part_line | new_line)
        self.assertEqual(sale_lines.mapped("product_uom_qty"), [3.0, 2.0])
        self.assertEqual(order.amount_untaxed, 3 * 45.0 + 2 * 60.0)
        # A sent (no longer draft) quotation is not changed: a new one is created.
        order.action_quotation_sent()
        self.assertNotEqual(self._quote(), order)
        self.assertEqual(len(self.job.sale_order_ids), 2)

    def test_partial_invoicing_never_twice(self):
        invoice_1 = self._invoice()
        self.assertEqual(invoice_1.move_type, "out_invoice")
        self.assertEqual(invoice_1.invoice_line_ids.service_job_line_id, self.job.line_ids)
        self.assertEqual(invoice_1.amount_untaxed, 180.0)
        self.assertEqual(invoice_1.service_job_ids, self.job)
        self.assertEqual(self.part_line.qty_invoiced, 2.0)
        self.assertEqual(self.job.invoice_count, 1)
        with self.assertRaisesRegex(UserError, "nothing left to invoice"):
            self.job.action_create_invoice()
        # More work: one more part and a new labour line; only those are invoiced.
        self.part_line.quantity = 3.0
        extra = (
            self.env["service.job.line"]
            .with_user(self.officer)
            .create(
                {
                    "job_id": self.job.id,
                    "line_type": "labour",
                    "product_id": self.labour.id,
                    "quantity": 0.5,
                }
            )
        )
        invoice_2 = self._invoice()
        self.assertEqual(
            {(line.service_job_line_id, line.quantity) for line in invoice_2.invoice_line_ids},
            {(self.part_line, 1.0), (extra, 0.5)},
        )
        self.assertEqual(invoice_2.amount_untaxed, 45.0 + 30.0)
        self.assertEqual(self.job.line_ids.mapped("qty_to_invoice"), [0.0, 0.0, 0.0])
        self.assertEqual(self.job.invoice_count, 2)
        # A cancelled invoice gives its quantities back; an invoiced line cannot be deleted.
        with self.assertRaisesRegex(UserError, "already invoiced"):
            extra.unlink()
        invoice_2.button_cancel()
        self.assertEqual(extra.qty_to_invoice, 0.5)
        self.assertEqual(self._invoice().amount_untaxed, 75.0)

    def test_order_invoiced_by_sale_is_not_invoiced_again_by_job(self):
        order = self._quote()
        order.action_confirm()
        invoice = order._create_invoices()
        self.assertEqual(invoice.invoice_line_ids.service_job_line_id, self.job.line_ids)
        self.assertEqual(self.job.line_ids.mapped("qty_invoiced"), [2.0, 1.5])
        with self.assertRaisesRegex(UserError, "nothing left to invoice"):
            self.job.action_create_invoice()
        # The other way round: the job invoices an added quantity, the order knows it.
        self.part_line.quantity = 4.0
        self._quote()  # the order is confirmed: a new quotation, the first one unchanged
        self.assertEqual(order.order_line.filtered("service_job_line_id")[0].product_uom_qty, 2.0)
        invoice_2 = self._invoice()
        self.assertEqual(invoice_2.invoice_line_ids.quantity, 2.0)
        self.assertEqual(self.part_line.qty_to_invoice, 0.0)

    def test_job_invoice_of_confirmed_order_lines_blocks_order_invoicing(self):
        order = self._quote()
        order.action_confirm()
        self._invoice()
        self.assertEqual(
            order.order_line.filtered("service_job_line_id").mapped("qty_to_invoice"), [0.0, 0.0]
        )
        self.assertEqual(order.invoice_status, "invoiced")
        with self.assertRaises(UserError):
            order._create_invoices()

    def _credit_note(self, invoice):
        """The credit note of ``invoice`` made with the reversal wizard, as the officer."""
        reversal = (
            self.env["account.move.reversal"]
            .with_user(self.officer)
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"journal_id": invoice.journal_id.id, "reason": "Returned part"})
        )
        return self.env["account.move"].browse(reversal.refund_moves()["res_id"])

    def test_credit_note_nets_out_invoiced_quantities(self):
        invoice = self._invoice()
        invoice.action_post()
        credit_note = self._credit_note(invoice)
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertEqual(
            credit_note.invoice_line_ids.service_job_line_id, self.part_line | self.labour_line
        )
        self.assertIn(credit_note, self.job.invoice_ids)
        # A full credit note: nothing invoiced any more, the job invoices the lines again.
        self.assertEqual(self.job.line_ids.mapped("qty_invoiced"), [0.0, 0.0])
        self.assertEqual(self.job.line_ids.mapped("qty_to_invoice"), [2.0, 1.5])
        # A partial one: one of the two parts given back.
        part_refund = credit_note.invoice_line_ids.filtered(
            lambda aml: aml.service_job_line_id == self.part_line
        )
        credit_note.write(
            {
                "invoice_line_ids": [
                    Command.update(part_refund.id, {"quantity": 1.0}),
                    Command.delete((credit_note.invoice_line_ids - part_refund).id),
                ]
            }
        )
        credit_note.action_post()
        self.assertEqual(self.job.line_ids.mapped("qty_invoiced"), [1.0, 1.5])
        invoice_2 = self._invoice()
        self.assertEqual(
            [(line.service_job_line_id, line.quantity) for line in invoice_2.invoice_line_ids],
            [(self.part_line, 1.0)],
        )
        self.assertEqual(self.job.line_ids.mapped("qty_to_invoice"), [0.0, 0.0])
        # A draft credit note counts; cancelled, it gives nothing back.
        invoice_2.action_post()
        credit_note_2 = self._credit_note(invoice_2)
        self.assertEqual(self.part_line.qty_invoiced, 1.0)
        credit_note_2.button_cancel()
        self.assertEqual(self.part_line.qty_invoiced, 2.0)

    def test_technician_cannot_invoice(self):
        job = self._create_job(user=self.technician)
        self._add_lines(job, user=self.technician)
        with self.assertRaises(AccessError):
            job.with_user(self.technician).action_create_invoice()
        self.assertFalse(job.invoice_ids)
        self.assertEqual(job.line_ids.mapped("qty_invoiced"), [0.0, 0.0])
