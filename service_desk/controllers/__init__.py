from . import approval
from . import portal
from . import tracking
