from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import ServiceDeskCommon


@tagged("post_install", "-at_install")
class TestServiceJobBilling(ServiceDeskCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.service_product = cls.env["product.product"].create(
            {
                "name": "Repair Labour",
                "type": "service",
                "list_price": 80.0,
                "invoice_policy": "order",
            }
        )

    def _create_invoice(self, partner):
        return self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_line_ids": [
                    Command.create({"name": "Repair", "quantity": 1, "price_unit": 50.0})
                ],
            }
        )

    def test_create_quotation_from_job(self):
        job = self._create_job(
            user=self.officer,
            partner_id=self.contact_a.id,
            item_brand="Fairphone",
            item_model="5",
            item_serial="IMEI123",
            description="<p>Screen does not respond</p>",
        )
        action = job.with_user(self.officer).action_create_quotation()
        order = self.env["sale.order"].browse(action["res_id"])
        self.assertEqual(action["res_model"], "sale.order")
        self.assertEqual(order.partner_id, self.contact_a)
        self.assertEqual(order.origin, job.name)
        self.assertEqual(order.state, "draft")
        self.assertEqual(len(order.order_line), 1)
        self.assertIn("Screen does not respond", order.order_line.name)
        self.assertIn("Fairphone 5 (IMEI123)", order.order_line.name)
        self.assertEqual(job.sale_order_ids, order)
        self.assertEqual(order.service_job_ids, job)
        self.assertEqual(job.sale_order_count, 1)
        self.assertEqual(order.service_job_count, 1)
        jobs_action = order.with_user(self.officer).action_view_service_jobs()
        self.assertEqual(jobs_action["res_id"], job.id)
        quotes_action = job.with_user(self.officer).action_view_quotations()
        self.assertEqual(quotes_action["res_id"], order.id)

    def test_quotation_uses_category_service_product(self):
        self.category.service_product_id = self.service_product
        job = self._create_job(user=self.officer, category_id=self.category.id)
        action = job.with_user(self.officer).action_create_quotation()
        order = self.env["sale.order"].browse(action["res_id"])
        self.assertEqual(order.order_line.product_id, self.service_product)
        self.assertEqual(order.amount_untaxed, 80.0)
        self.assertIn(job.name, order.order_line.name)

    def test_link_existing_quotation_and_invoices(self):
        job = self._create_job(user=self.officer)
        order = self.env["sale.order"].create({"partner_id": self.customer.id})
        invoice = self._create_invoice(self.customer)
        job.with_user(self.officer).write(
            {"sale_order_ids": [Command.link(order.id)], "invoice_ids": [Command.link(invoice.id)]}
        )
        self.assertEqual(job.sale_order_count, 1)
        self.assertEqual(job.invoice_count, 1)
        self.assertEqual(order.service_job_ids, job)
        self.assertEqual(invoice.service_job_ids, job)
        self.assertEqual(invoice.service_job_count, 1)
        action = job.with_user(self.officer).action_view_invoices()
        self.assertEqual(action["res_id"], invoice.id)
        action = invoice.with_user(self.officer).action_view_service_jobs()
        self.assertEqual(action["res_id"], job.id)

    def test_invoice_of_linked_order_is_linked_to_job(self):
        self.category.service_product_id = self.service_product
        job = self._create_job(user=self.officer, category_id=self.category.id)
        order = self.env["sale.order"].browse(
            job.with_user(self.officer).action_create_quotation()["res_id"]
        )
        order.action_confirm()
        invoice = order._create_invoices()
        self.assertEqual(invoice.service_job_ids, job)
        self.assertEqual(job.invoice_count, 1)
        self.assertEqual(job._get_invoices(), invoice)

    def test_two_jobs_one_order(self):
        job_1 = self._create_job(user=self.officer)
        job_2 = self._create_job(user=self.officer)
        order = self.env["sale.order"].browse(job_1.action_create_quotation()["res_id"])
        job_2.sale_order_ids = [Command.link(order.id)]
        self.assertEqual(order.service_job_count, 2)
        action = order.with_user(self.officer).action_view_service_jobs()
        self.assertEqual(self.env["service.job"].search(action["domain"]), job_1 | job_2)

    def test_job_with_posted_invoice_cannot_be_deleted(self):
        job = self._create_job(user=self.officer)
        invoice = self._create_invoice(self.customer)
        job.invoice_ids = invoice
        invoice.action_post()
        with self.assertRaisesRegex(UserError, "posted invoice"):
            job.with_user(self.manager).unlink()
        self.assertTrue(job.exists())
