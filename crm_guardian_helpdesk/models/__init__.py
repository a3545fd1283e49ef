from . import crm_guardian_alert
from . import crm_guardian_scan
from . import res_config_settings
