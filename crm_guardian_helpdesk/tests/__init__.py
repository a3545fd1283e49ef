from . import test_helpdesk_alerts
from . import test_ticket_checks
