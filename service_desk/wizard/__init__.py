from . import service_job_approval_wizard
