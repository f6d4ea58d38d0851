from . import tatacliq_fetch_order
from . import tatacliq_ship_wizard
from . import tatacliq_ship_wizard_line
from . import tatacliq_cancel_wizard
from . import tatacliq_cancel_wizard_line
