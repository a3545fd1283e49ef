from odoo import Command
from odoo.tests import TransactionCase, new_test_user

from odoo.addons.base.tests.common import DISABLED_MAIL_CONTEXT


class ServiceDeskCommon(TransactionCase):
    """Users for each Service Desk group, a customer company with contacts and a category."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, **DISABLED_MAIL_CONTEXT))
        cls.company = cls.env.company
        cls.technician = new_test_user(
            cls.env,
            login="sd_technician",
            name="Tina Technician",
            groups="base.group_user,service_desk.group_service_desk_own",
        )
        cls.technician_2 = new_test_user(
            cls.env,
            login="sd_technician_2",
            name="Theo Technician",
            groups="base.group_user,service_desk.group_service_desk_own",
        )
        cls.officer = new_test_user(
            cls.env,
            login="sd_officer",
            name="Olga Officer",
            groups="base.group_user,service_desk.group_service_desk_user,"
            "sales_team.group_sale_salesman,account.group_account_invoice",
        )
        cls.manager = new_test_user(
            cls.env,
            login="sd_manager",
            name="Max Manager",
            groups="base.group_user,service_desk.group_service_desk_manager",
        )
        Partner = cls.env["res.partner"]
        cls.customer = Partner.create({"name": "Fix-It Customer Ltd", "is_company": True})
        cls.contact_a, cls.contact_b = Partner.create(
            [
                {"name": "Ann Contact", "parent_id": cls.customer.id},
                {"name": "Bob Contact", "parent_id": cls.customer.id},
            ]
        )
        cls.other_customer = Partner.create({"name": "Somebody Else"})
        cls.stage_received = cls.env.ref("service_desk.service_stage_received")
        cls.stage_diagnosing = cls.env.ref("service_desk.service_stage_diagnosing")
        cls.stage_approval = cls.env.ref("service_desk.service_stage_waiting_approval")
        cls.stage_in_progress = cls.env.ref("service_desk.service_stage_in_progress")
        cls.stage_ready = cls.env.ref("service_desk.service_stage_ready")
        cls.stage_delivered = cls.env.ref("service_desk.service_stage_delivered")
        # Tests move jobs freely: the shipped workflow rules and checklist gate are set aside
        # here, and put back by the tests of the workflow (_restore_shipped_workflow).
        cls.stages = cls.env["service.stage"].search([])
        cls.shipped_workflow = {
            stage: (stage.allowed_next_stage_ids, stage.requires_checklist_complete)
            for stage in cls.stages
        }
        cls.stages.write(
            {"allowed_next_stage_ids": [Command.clear()], "requires_checklist_complete": False}
        )
        cls.checklist_intake = cls.env.ref("service_desk.service_checklist_template_intake")
        cls.checklist_quality = cls.env.ref("service_desk.service_checklist_template_quality")
        cls.category = cls.env["service.category"].create(
            {
                "name": "Test Phones",
                "checklist_template_ids": [(6, 0, cls.checklist_intake.ids)],
                "job_properties_definition": [
                    {"name": "imei", "string": "IMEI", "type": "char"},
                ],
            }
        )

    @classmethod
    def _setup_parts_and_labour(cls):
        """A 10% sale tax, a part (cost 30, price 50), labour (cost 25/h, rate 60/h) and a
        customer pricelist selling the part at 45."""
        cls.tax_10 = cls.env["account.tax"].create(
            {"name": "SD Tax 10%", "amount": 10.0, "type_tax_use": "sale"}
        )
        Product = cls.env["product.product"]
        cls.part = Product.create(
            {
                "name": "Screen Assembly",
                "type": "consu",
                "list_price": 50.0,
                "standard_price": 30.0,
                "taxes_id": [Command.set(cls.tax_10.ids)],
                "invoice_policy": "order",
            }
        )
        cls.labour = Product.create(
            {
                "name": "Bench Labour",
                "type": "service",
                "list_price": 60.0,
                "standard_price": 25.0,
                "uom_id": cls.env.ref("uom.product_uom_hour").id,
                "uom_po_id": cls.env.ref("uom.product_uom_hour").id,
                "taxes_id": [Command.set(cls.tax_10.ids)],
                "invoice_policy": "order",
            }
        )
        cls.pricelist = cls.env["product.pricelist"].create(
            {
                "name": "SD Trade Prices",
                "currency_id": cls.company.currency_id.id,
                "item_ids": [
                    Command.create(
                        {
                            "applied_on": "0_product_variant",
                            "product_id": cls.part.id,
                            "compute_price": "fixed",
                            "fixed_price": 45.0,
                        }
                    )
                ],
            }
        )
        cls.customer.property_product_pricelist = cls.pricelist

    @classmethod
    def _add_lines(cls, job, user=None, part_qty=2.0, hours=1.5):
        """A part line and a labour line on ``job`` (as ``user`` if given)."""
        Line = cls.env["service.job.line"]
        if user:
            Line = Line.with_user(user)
        return Line.create(
            [
                {
                    "job_id": job.id,
                    "line_type": "part",
                    "product_id": cls.part.id,
                    "quantity": part_qty,
                },
                {
                    "job_id": job.id,
                    "line_type": "labour",
                    "product_id": cls.labour.id,
                    "quantity": hours,
                },
            ]
        )

    @classmethod
    def _restore_shipped_workflow(cls):
        for stage, (next_stages, checklist_gate) in cls.shipped_workflow.items():
            stage.write(
                {
                    "allowed_next_stage_ids": [Command.set(next_stages.ids)],
                    "requires_checklist_complete": checklist_gate,
                }
            )

    @classmethod
    def _create_job(cls, user=None, **values):
        vals = {"partner_id": cls.customer.id, "title": "Broken screen", **values}
        Job = cls.env["service.job"]
        if user:
            Job = Job.with_user(user)
        return Job.create(vals)

    @classmethod
    def _create_item(cls, user=None, **values):
        vals = {"partner_id": cls.customer.id, "brand": "Acme", "model_name": "X1", **values}
        Item = cls.env["service.item"]
        if user:
            Item = Item.with_user(user)
        return Item.create(vals)

    @classmethod
    def _create_plan(cls, user=None, **values):
        vals = {"name": "Yearly service", "partner_id": cls.customer.id, **values}
        Plan = cls.env["service.maintenance.plan"]
        if user:
            Plan = Plan.with_user(user)
        return Plan.create(vals)
