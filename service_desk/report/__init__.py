from . import service_job_report
