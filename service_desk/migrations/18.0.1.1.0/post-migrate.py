"""18.0.1.1.0: jobs get the service items (customer equipment) of their item fields."""

import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    linked = env["service.item"]._create_items_from_jobs()
    _logger.info("service_desk 18.0.1.1.0: %s jobs linked to service items", linked)
