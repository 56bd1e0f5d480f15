"""The admin registrations live with their models in each sub-domain package."""

from training.attendance import admin as attendance_admin  # noqa: F401
from training.coverage import admin as coverage_admin  # noqa: F401
from training.imports import admin as imports_admin  # noqa: F401
from training.organisation import admin as organisation_admin  # noqa: F401
from training.organisation import lockout_admin  # noqa: F401
from training.programmes import admin as programmes_admin  # noqa: F401
