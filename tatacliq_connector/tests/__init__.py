from . import test_api_log
from . import test_channel
from . import test_lookup
from . import test_security
from . import test_tour
from . import test_import
from . import test_import_exceptions
from . import test_import_resume
