from . import service_job_report
from . import service_job_label_report
