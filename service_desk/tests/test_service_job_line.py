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
        self.assertEqual(part.price_subtotal, 90.0)
        self.assertEqual(labour.price_subtotal, 90.0)
        self.assertAlmostEqual(part.price_total, 99.0)
        self.assertEqual(job.amount_untaxed, 180.0)
        self.assertAlmostEqual(job.amount_tax, 18.0)
        self.assertAlmostEqual(job.amount_total, 198.0)
        self.assertEqual(job.currency_id, self.company.currency_id)
        # Costs and margins are computed for the technician's lines, read by officers.
        part_o, labour_o = (part | labour).with_user(self.officer)
        self.assertEqual(part_o.cost_unit, 30.0)
        self.assertEqual(labour_o.cost_subtotal, 37.5)
        self.assertEqual(labour_o.margin, 52.5)
        self.assertEqual(job.with_user(self.officer).amount_cost, 97.5)
        self.assertEqual(job.with_user(self.officer).amount_margin, 82.5)
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

    @users("sd_technician")
    def test_costs_and_margins_hidden_from_technicians(self):
        job = self.job.with_user(self.env.user)
        part = self._add_lines(job, user=self.env.user)[0]
        self.env.invalidate_all()
        for record, fnames in (
            (part, ["cost_unit", "cost_subtotal", "margin"]),
            (job, ["amount_cost", "amount_margin", "amount_warranty_cost"]),
        ):
            for fname in fnames:
                with self.assertRaises(AccessError, msg=fname):
                    record.read([fname])
            self.assertFalse(set(fnames) & set(record.fields_get()))
        with self.assertRaises(AccessError):
            part.write({"cost_unit": 1.0})
        # The form without them: the technician opens it, edits a line, adds one.
        form_arch = job.get_views([(False, "form")])["views"]["form"]["arch"]
        for fname in ("cost_unit", '"margin"', "amount_cost", "amount_margin"):
            self.assertNotIn(fname, form_arch)
        with Form(job) as form:
            with form.line_ids.edit(0) as line:
                line.quantity = 3.0
            with form.line_ids.new() as line:
                line.line_type = "labour"
                line.product_id = self.labour
                line.quantity = 1.0
        self.assertEqual(job.amount_untaxed, 3 * 45.0 + 1.5 * 60.0 + 60.0)
        self.assertEqual(job.sudo().amount_cost, 3 * 30.0 + 2.5 * 25.0)
        self.assertEqual(job.sudo().line_ids[0].margin, 3 * 45.0 - 3 * 30.0)

    @users("sd_officer", "sd_manager")
    def test_officer_and_manager_read_costs(self):
        job = self._create_job(user=self.env.user)
        values = self._add_lines(job).with_user(self.env.user).read(["cost_unit", "margin"])
        self.assertEqual([v["cost_unit"] for v in values], [30.0, 25.0])
        self.assertEqual(job.read(["amount_margin"])[0]["amount_margin"], 82.5)
        self.assertIn("margin", job.line_ids.fields_get())


@tagged("post_install", "-at_install")
class TestServiceJobLinePrice(ServiceDeskCommon):
    """The unit price follows the pricelist's minimum quantities when the quantity or unit
    changes, as on a sale order line, unless it was set by hand or the line is invoiced."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_parts_and_labour()
        # 45 from the pricelist; 40 from 5 units; 38 from 10.
        cls.env["product.pricelist.item"].create(
            [
                {
                    "pricelist_id": cls.pricelist.id,
                    "applied_on": "0_product_variant",
                    "product_id": cls.part.id,
                    "compute_price": "fixed",
                    "fixed_price": price,
                    "min_quantity": min_quantity,
                }
                for min_quantity, price in ((5.0, 40.0), (10.0, 38.0))
            ]
        )
        cls.dozen = cls.env.ref("uom.product_uom_dozen")
        cls.job = cls._create_job(user=cls.technician)

    @users("sd_technician", "sd_officer")
    def test_quantity_and_unit_change_reprice(self):
        job = self._create_job(user=self.env.user)
        part = self._add_lines(job, user=self.env.user, part_qty=1.0)[0]
        self.assertEqual(part.price_unit, 45.0)
        part.quantity = 5.0
        self.assertEqual(part.price_unit, 40.0)
        part.quantity = 12.0
        self.assertEqual(part.price_unit, 38.0)
        self.assertEqual(part.price_subtotal, 12 * 38.0)
        part.quantity = 2.0
        self.assertEqual(part.price_unit, 45.0)
        # One dozen: 12 units, priced per dozen.
        part.write({"product_uom_id": self.dozen.id, "quantity": 1.0})
        self.assertAlmostEqual(part.price_unit, 12 * 38.0)
        self.assertEqual(job.amount_untaxed, 12 * 38.0 + 90.0)

    @users("sd_technician")
    def test_quantity_change_in_the_form(self):
        job = self.job.with_user(self.env.user)
        with Form(job) as form:
            with form.line_ids.new() as line:
                line.line_type = "part"
                line.product_id = self.part
                self.assertEqual(line.price_unit, 45.0)
                line.quantity = 6.0
                self.assertEqual(line.price_unit, 40.0)
        with Form(job) as form:
            with form.line_ids.edit(0) as line:
                line.quantity = 10.0
                self.assertEqual(line.price_unit, 38.0)
        self.assertEqual(job.line_ids.price_unit, 38.0)

    def test_price_set_by_hand_is_kept(self):
        job = self.job.with_user(self.officer)
        part = self._add_lines(job, user=self.officer, part_qty=1.0)[0]
        part.price_unit = 42.0
        part.quantity = 12.0
        self.assertEqual(part.price_unit, 42.0)
        with Form(job) as form:
            with form.line_ids.edit(0) as line:
                line.price_unit = 41.0
                line.quantity = 5.0
                self.assertEqual(line.price_unit, 41.0)
        self.assertEqual(part.price_unit, 41.0)
        # A new product is priced again, as on a sale order line only without a hand price.
        part.product_id = self.env["product.product"].create(
            {"name": "Other part", "type": "consu", "list_price": 7.0}
        )
        self.assertEqual(part.price_unit, 41.0)

    def test_invoiced_line_keeps_its_price(self):
        job = self.job.with_user(self.officer)
        part = self._add_lines(job, user=self.officer, part_qty=1.0)[0]
        job.action_create_invoice()
        self.assertEqual(part.qty_invoiced, 1.0)
        part.quantity = 6.0
        self.assertEqual(part.price_unit, 45.0)
        self.assertEqual(part.qty_to_invoice, 5.0)

    def test_warranty_zeroes_then_reprices(self):
        part = self._add_lines(self.job, part_qty=5.0)[0]
        self.assertEqual(part.price_unit, 40.0)
        part.is_warranty = True
        self.assertEqual(part.price_unit, 0.0)
        part.quantity = 12.0
        self.assertEqual(part.price_unit, 0.0)
        part.is_warranty = False
        self.assertEqual(part.price_unit, 38.0)
