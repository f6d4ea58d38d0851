from . import tatacliq_fetch_order
