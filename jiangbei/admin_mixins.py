"""Admin mixins that keep the Django admin from writing around the domain's actions.

Every write of domain rows goes through a named action that checks invariants, copies report
columns, audits and schedules side effects. The admin saves rows directly and skips all of
that, so derived rows are shown read-only and fields with side effects are locked on change.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models
from django.http import HttpRequest
from django.utils.functional import Promise


class ReadOnlyAdmin:
    """View, search and filter only: no add, change or delete, every field read-only.

    For derived data (attendance, coverage figures, audit entries, logs): an edit here would
    leave the roll-ups and the audit trail disagreeing with the rows they were built from.
    Mix in before ``admin.ModelAdmin`` or an inline class.
    """

    model: type[models.Model]
    readonly_fields: Sequence[Any]

    def has_add_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: models.Model | None = None) -> list[Any]:
        """Declared read-only fields (which may be callables) plus every model field."""
        opts = self.model._meta
        model_fields = [
            field.name for field in [*opts.concrete_fields, *opts.many_to_many] if not field.auto_created
        ]
        declared = list(self.readonly_fields)
        return declared + [name for name in model_fields if name not in declared]


class LockedOnChangeAdmin:
    """Fields with side effects are read-only on existing rows, under a note saying where to edit.

    ``locked_fields`` are changed by an action elsewhere (rescheduling, the register import)
    that checks rules and updates copied columns; the admin would skip both. New rows may
    still set them, if the admin allows adding at all.
    """

    locked_fields: Sequence[str] = ()
    locked_title: str | Promise = ""
    locked_description: str | Promise = ""

    def get_readonly_fields(self, request: HttpRequest, obj: models.Model | None = None) -> list[Any]:
        readonly = list(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        if obj is not None:
            readonly += [name for name in self.locked_fields if name not in readonly]
        return readonly

    def get_fieldsets(self, request: HttpRequest, obj: models.Model | None = None) -> list[Any]:
        """On change, the locked fields get a fieldset of their own with the explanation."""
        fieldsets = list(super().get_fieldsets(request, obj))  # type: ignore[misc]
        if obj is None:
            return fieldsets
        locked = set(self.locked_fields)
        unlocked = [
            (name, {**options, "fields": [f for f in options["fields"] if f not in locked]})
            for name, options in fieldsets
        ]
        return [
            *[(name, options) for name, options in unlocked if options["fields"]],
            (self.locked_title, {"fields": list(self.locked_fields), "description": self.locked_description}),
        ]
