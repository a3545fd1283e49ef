from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged, users

from .common import ServiceDeskCommon


@tagged("post_install", "-at_install")
class TestServiceJobLine(ServiceDeskCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_parts_and_labour()
        cls.job = cls._create_job(user=cls.technician)
        cls.other_job = cls._create_job(user=cls.technician_2)

    @users("sd_technician")
    def test_technician_lines_on_own_job_priced_from_pricelist(self):
        job = self.job.with_user(self.env.user)
        part, labour = self._add_lines(job, user=self.env.user, part_qty=2.0, hours=1.5)
        # The part from the customer's pricelist, labour at the product's rate (hours x rate).
        self.assertEqual(part.price_unit, 45.0)
        self.assertEqual(labour.price_unit, 60.0)
        self.assertEqual(labour.product_uom_id, self.env.ref("uom.product_uom_hour"))
        self.assertEqual(part.tax_ids, self.tax_10)
        self.assertEqual(part.cost_unit, 30.0)
        self.assertEqual(part.price_subtotal, 90.0)
        self.assertEqual(labour.price_subtotal, 90.0)
        self.assertAlmostEqual(part.price_total, 99.0)
        self.assertEqual(labour.cost_subtotal, 37.5)
        self.assertEqual(labour.margin, 52.5)
        self.assertEqual(job.amount_untaxed, 180.0)
        self.assertAlmostEqual(job.amount_tax, 18.0)
        self.assertAlmostEqual(job.amount_total, 198.0)
        self.assertEqual(job.amount_cost, 97.5)
        self.assertEqual(job.amount_margin, 82.5)
        self.assertEqual(job.currency_id, self.company.currency_id)
        part.write({"discount": 10.0, "quantity": 1.0})
        self.assertEqual(part.price_subtotal, 40.5)
        self.assertEqual(job.amount_untaxed, 130.5)
        part.unlink()
        self.assertEqual(job.amount_untaxed, 90.0)

    @users("sd_technician")
    def test_technician_cannot_touch_lines_of_others_jobs(self):
        other_line = self._add_lines(self.other_job)[0]
        with self.assertRaises(AccessError):
            self.env["service.job.line"].create(
                {"job_id": self.other_job.id, "product_id": self.part.id}
            )
        self.assertFalse(self.env["service.job.line"].search([("id", "=", other_line.id)]))
        with self.assertRaises(AccessError):
            other_line.with_user(self.env.user).quantity = 5.0
        with self.assertRaises(AccessError):
            other_line.with_user(self.env.user).unlink()

    @users("sd_officer", "sd_manager")
    def test_officer_and_manager_edit_every_job_lines(self):
        job = self.other_job.with_user(self.env.user)
        lines = self._add_lines(job, user=self.env.user)
        lines[0].quantity = 3.0
        self.assertEqual(job.amount_untaxed, 135.0 + 90.0)
        lines.unlink()
        self.assertFalse(job.line_ids)

    def test_fiscal_position_maps_taxes(self):
        tax_0 = self.env["account.tax"].create(
            {"name": "SD Export 0%", "amount": 0.0, "type_tax_use": "sale"}
        )
        fpos = self.env["account.fiscal.position"].create(
            {
                "name": "SD Export",
                "tax_ids": [
                    Command.create({"tax_src_id": self.tax_10.id, "tax_dest_id": tax_0.id})
                ],
            }
        )
        self.customer.property_account_position_id = fpos
        part = self._add_lines(self.job, user=self.technician)[0]
        self.assertEqual(part.tax_ids, tax_0)
        self.assertEqual(self.job.amount_tax, 0.0)

    def test_product_type_must_match_line_type(self):
        with self.assertRaises(ValidationError):
            self.env["service.job.line"].create(
                {"job_id": self.job.id, "line_type": "labour", "product_id": self.part.id}
            )
        with self.assertRaises(ValidationError):
            self.env["service.job.line"].create(
                {"job_id": self.job.id, "line_type": "part", "product_id": self.labour.id}
            )

    def test_product_of_other_company_refused(self):
        other_company = self.env["res.company"].create({"name": "SD Other Co"})
        product = self.env["product.product"].create(
            {"name": "Other Co Part", "type": "consu", "company_id": other_company.id}
        )
        with self.assertRaises(UserError):
            self.env["service.job.line"].create({"job_id": self.job.id, "product_id": product.id})

    @users("sd_technician")
    def test_add_category_lines_and_form(self):
        self.category.line_ids = [
            Command.create({"line_type": "part", "product_id": self.part.id, "quantity": 1.0}),
            Command.create(
                {
                    "line_type": "labour",
                    "product_id": self.labour.id,
                    "quantity": 0.5,
                    "name": "Screen swap",
                }
            ),
        ]
        job = self.job.with_user(self.env.user)
        with self.assertRaisesRegex(UserError, "no default parts"):
            job.action_add_category_lines()
        job.category_id = self.category
        job.action_add_category_lines()
        self.assertEqual(job.line_ids.mapped("quantity"), [1.0, 0.5])
        self.assertEqual(job.line_ids[1].name, "Screen swap")
        self.assertEqual(job.amount_untaxed, 45.0 + 30.0)
        with Form(job) as form:
            with form.line_ids.new() as line:
                line.line_type = "labour"
                line.product_id = self.labour
                line.quantity = 2.0
                line.technician_id = self.env.user
        self.assertEqual(job.line_ids[-1].technician_id, self.env.user)
        self.assertEqual(job.amount_untaxed, 45.0 + 30.0 + 120.0)
