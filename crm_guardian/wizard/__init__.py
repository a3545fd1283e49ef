from . import crm_guardian_rule_tester
from . import crm_guardian_alert_snooze
