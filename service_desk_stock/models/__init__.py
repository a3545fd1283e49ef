from . import service_stage
from . import service_job
from . import service_job_line
from . import stock_move
