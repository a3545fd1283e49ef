from . import crm_guardian_scan
