"""Uploaded files go out only through views that checked who may see them.

``MEDIA_ROOT`` has no public URL: it holds imported member registers and viewing logs next to
the photos, and a lecture's photos show its listeners. Each photo view declares its capability,
fetches its object through the caller's scope, then sends the file with ``stored_file``.
"""

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404


def stored_file(stored: FieldFile | None) -> FileResponse:
    """The file behind a file field, or a 404 when the field is empty or the file has gone."""
    if not stored:
        raise Http404
    try:
        handle = stored.storage.open(stored.name, "rb")
    except (FileNotFoundError, IsADirectoryError):
        raise Http404 from None
    return FileResponse(handle)
