from . import tatacliq_channel
from . import tatacliq_channel_lookup
from . import tatacliq_location
from . import tatacliq_product_mapping
from . import tatacliq_api_log
