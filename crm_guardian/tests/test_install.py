from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestCrmGuardianInstall(TransactionCase):
    def test_application_installed_with_demo(self):
        module = self.env["ir.module.module"].search([("name", "=", "crm_guardian")])
        self.assertEqual(module.state, "installed")
        self.assertTrue(module.application)
        self.assertTrue(module.demo, "the suite's database is created with demo data")
        self.assertEqual(module.icon, "/crm_guardian/static/description/icon.png")

    def test_group_chain_and_admin(self):
        viewer = self.env.ref("crm_guardian.group_crm_guardian_user")
        manager = self.env.ref("crm_guardian.group_crm_guardian_manager")
        self.assertIn(viewer, manager.implied_ids)
        self.assertEqual(
            viewer.category_id, self.env.ref("crm_guardian.module_category_crm_guardian")
        )
        self.assertIn(manager, self.env.ref("base.user_admin").groups_id)
