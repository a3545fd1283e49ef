from . import test_install
from . import test_service_job
from . import test_service_job_checklist
from . import test_service_job_billing
from . import test_service_job_security
from . import test_service_industry_template
from . import test_service_job_ui
from . import test_service_job_performance
