"""18.0.1.1.0: jobs get the service items (customer equipment) of their item fields; the
shipped *Cancelled* stage is flagged as the cancelled stage (its data is ``noupdate``: without
this, cancelled jobs of upgraded databases would give a warranty and keep consumed parts)."""

import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    linked = env["service.item"]._create_items_from_jobs()
    _logger.info("service_desk 18.0.1.1.0: %s jobs linked to service items", linked)
    cancelled = env.ref("service_desk.service_stage_cancelled", raise_if_not_found=False)
    if cancelled and not env["service.stage"].search_count([("is_cancelled", "=", True)]):
        cancelled.is_cancelled = True
