from . import crm_guardian_scan
from . import crm_guardian_rule
from . import crm_guardian_finding
from . import crm_guardian_section
from . import res_partner
