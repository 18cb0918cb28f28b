# Type stubs for the part of huey (3.5, which ships no py.typed) that Deal Scout uses.
# Keep them to what the project calls; extend as code starts using more of huey.
from huey.api import Huey as Huey
from huey.api import crontab as crontab
from huey.exceptions import CancelExecution as CancelExecution
from huey.exceptions import RetryTask as RetryTask

__version__: str
