from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .common import ServiceDeskCommon


@tagged("post_install", "-at_install")
class TestServiceItem(ServiceDeskCommon):
    """Items (the customer's equipment): access per group, serials, the job's link."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.item = cls._create_item(item_type="Phone", serial="SN-100")
        cls.portal_user = new_test_user(
            cls.env, login="sd_item_portal", groups="base.group_portal", partner_id=cls.contact_a.id
        )

    def test_display_name(self):
        self.assertEqual(self.item.display_name, "Acme X1 (SN-100)")
        self.item.name = "Reception phone"
        self.assertEqual(self.item.display_name, "Reception phone (SN-100)")
        self.assertEqual(
            self._create_item(brand=False, model_name=False, item_type="Boiler").display_name,
            "Boiler",
        )

    def test_access_per_group(self):
        # Technicians read and take in new items (quick create from the job), not edit them.
        item = self.item.with_user(self.technician)
        self.assertEqual(item.serial, "SN-100")
        created = self._create_item(user=self.technician, serial="SN-TECH")
        self.assertEqual(created.create_uid, self.technician)
        with self.assertRaises(AccessError):
            item.write({"serial": "SN-HACK"})
        self.item.with_user(self.officer).write({"purchase_date": "2024-01-31"})
        with self.assertRaises(AccessError):
            self.item.with_user(self.officer).unlink()
        created.with_user(self.manager).unlink()
        self.assertFalse(created.exists())

    def test_portal_reads_own_items_only(self):
        other = self._create_item(partner_id=self.other_customer.id, serial="SN-OTHER")
        Item = self.env["service.item"].with_user(self.portal_user)
        self.assertEqual(Item.search([("id", "in", (self.item | other).ids)]), self.item)
        with self.assertRaises(AccessError):
            other.with_user(self.portal_user).read(["serial"])
        with self.assertRaises(AccessError):
            self.item.with_user(self.portal_user).write({"name": "Mine"})

    def test_serial_unique_per_company_among_active(self):
        with self.assertRaisesRegex(ValidationError, "SN-100"):
            self._create_item(partner_id=self.other_customer.id, serial=" SN-100 ")
        # An archived item keeps its serial; another company may have the same serial.
        self.item.active = False
        again = self._create_item(serial="SN-100")
        with self.assertRaises(ValidationError):
            self.item.active = True
        company_b = self.env["res.company"].create({"name": "Second Shop"})
        other_company = self._create_item(serial="SN-100", company_id=company_b.id)
        self.assertEqual((again | other_company).mapped("serial"), ["SN-100", "SN-100"])

    def test_job_with_item_copies_item_fields(self):
        job = self._create_job(user=self.technician, item_id=self.item.id)
        self.assertEqual(
            (job.item_type, job.item_brand, job.item_model, job.item_serial),
            ("Phone", "Acme", "X1", "SN-100"),
        )
        self.assertEqual(self.item.job_count, 1)
        self.assertEqual(self.item.job_ids, job)
        action = self.item.action_view_jobs()
        self.assertEqual(self.env["service.job"].search(action["domain"]), job)

    def test_typed_serial_links_the_customers_item(self):
        job = self._create_job(user=self.technician, item_serial="SN-100")
        self.assertEqual(job.item_id, self.item)
        self.assertEqual(job.item_brand, "Acme")
        # A contact of the customer's company: same item. Another customer: no link.
        job_contact = self._create_job(partner_id=self.contact_b.id, item_serial="SN-100")
        self.assertEqual(job_contact.item_id, self.item)
        foreign = self._create_job(partner_id=self.other_customer.id, item_serial="SN-100")
        self.assertFalse(foreign.item_id)
        # Typed later, on a job without an item.
        later = self._create_job(item_type="Phone")
        later.with_user(self.officer).item_serial = "SN-100"
        self.assertEqual(later.item_id, self.item)
        # A job without an item still works as before.
        plain = self._create_job(item_serial="NEW-1", item_brand="Other")
        self.assertFalse(plain.item_id)
        self.assertEqual(plain.item_serial, "NEW-1")

    def test_quick_create_from_the_job(self):
        # The job form's Item field creates the item with what is typed on the job.
        Item = (
            self.env["service.item"]
            .with_user(self.technician)
            .with_context(
                default_partner_id=self.customer.id,
                default_item_type="Fridge",
                default_brand="Bosch",
                default_serial="FR-9",
            )
        )
        item_id, label = Item.name_create("Kitchen fridge")
        self.assertEqual(label, "Kitchen fridge (FR-9)")
        item = Item.browse(item_id)
        self.assertEqual((item.partner_id, item.brand), (self.customer, "Bosch"))

    def test_job_form_picks_and_finds_item(self):
        form = Form(self.env["service.job"].with_user(self.technician))
        form.partner_id = self.customer
        form.item_id = self.item
        self.assertEqual(form.item_serial, "SN-100")
        self.assertEqual(form.item_type, "Phone")
        form.partner_id = self.other_customer
        self.assertFalse(form.item_id, "the item of another customer is unlinked")
        form.partner_id = self.contact_a
        form.item_serial = "SN-100"
        self.assertEqual(form.item_id, self.item)
        job = form.save()
        self.assertEqual(job.item_id, self.item)


@tagged("post_install", "-at_install")
class TestServiceItemMigration(ServiceDeskCommon):
    """18.0.1.1.0: jobs of the previous version (item fields, no item) get items."""

    def _old_job(self, **values):
        # Created as the previous version did: no item exists yet, so nothing links.
        return self._create_job(**values)

    def test_items_from_job_fields(self):
        first = self._old_job(
            item_type="Phone", item_brand="Acme", item_model="X1", item_serial="S1"
        )
        second = self._old_job(partner_id=self.contact_a.id, item_serial="S1", item_model="X1b")
        no_serial_a = self._old_job(item_type="Boiler", item_brand="Vaillant")
        no_serial_b = self._old_job(item_type="Boiler", item_brand="Vaillant")
        nothing = self._old_job()
        # The same serial at two customers: the later job's customer keeps the active item.
        sold_old = self._old_job(partner_id=self.other_customer.id, item_serial="S2")
        sold_new = self._old_job(item_serial="S2", item_brand="Resold")
        existing = self._create_item(serial="S3", brand="Known")
        known = self._create_job(item_serial="S3")
        known.item_id = False  # as a job of the previous version
        jobs = first | second | no_serial_a | no_serial_b | nothing | sold_old | sold_new | known
        self.assertFalse(jobs.item_id)

        # (other jobs of the database without an item may be linked too)
        self.assertGreaterEqual(self.env["service.item"]._create_items_from_jobs(), 7)

        self.assertEqual(first.item_id, second.item_id)
        item = first.item_id
        self.assertEqual((item.partner_id, item.serial), (self.customer, "S1"))
        self.assertEqual(item.model_name, "X1b", "values of the latest job")
        self.assertNotEqual(no_serial_a.item_id, no_serial_b.item_id)
        self.assertEqual(no_serial_a.item_id.brand, "Vaillant")
        self.assertFalse(nothing.item_id)
        self.assertTrue(sold_new.item_id.active)
        self.assertEqual(sold_new.item_id.brand, "Resold")
        self.assertFalse(sold_old.item_id.active)
        self.assertEqual(sold_old.item_id.partner_id, self.other_customer)
        self.assertEqual(known.item_id, existing)
        self.assertEqual(len(jobs.item_id - existing), 5)
        # A second run finds nothing left to do.
        self.assertEqual(self.env["service.item"]._create_items_from_jobs(), 0)
