from . import test_service_job_stock
