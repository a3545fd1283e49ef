from . import approval
from . import portal
from . import sale_portal
from . import tracking
