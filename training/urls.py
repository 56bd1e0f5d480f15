"""Each sub-domain package declares its own URLs; paths are stable (posters and bookmarks use them)."""

from training.attendance.urls import urlpatterns as attendance_urls
from training.coverage.urls import urlpatterns as coverage_urls
from training.imports.urls import urlpatterns as imports_urls
from training.organisation.urls import urlpatterns as organisation_urls
from training.programmes.urls import urlpatterns as programmes_urls

urlpatterns = coverage_urls + organisation_urls + programmes_urls + attendance_urls + imports_urls
