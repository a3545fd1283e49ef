"""18.0.1.1.0: salespeople get the guardian on databases installed before, as new databases do
on install (*Sales / User* implies *Guardian: View*: dashboard, My Rescue List, top-bar list,
daily digest). An administrator may take the implication away afterwards; later upgrades keep
it away (the security data is ``noupdate``)."""

from odoo import SUPERUSER_ID, Command, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    salesman = env.ref("sales_team.group_sale_salesman")
    viewer = env.ref("crm_guardian.group_crm_guardian_user")
    if viewer not in salesman.implied_ids:
        # res.groups adds the salespeople to the implied group too
        salesman.write({"implied_ids": [Command.link(viewer.id)]})
