from . import crm_guardian_rule_tester
from . import crm_guardian_alert_snooze
from . import crm_guardian_finding_dismiss
from . import crm_guardian_digest_send
