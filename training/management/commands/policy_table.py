"""Print the roles × capabilities table as Markdown, for the README (a test keeps the two equal)."""

from django.core.management.base import BaseCommand
from django.utils import translation

from training.organisation.models import Grant
from training.organisation.policy import CAPABILITIES, ROLE_CAPABILITIES


class Command(BaseCommand):
    help = "Print the table of roles and their capabilities (Markdown)."

    def handle(self, *args, **options) -> None:
        roles = list(ROLE_CAPABILITIES)
        with translation.override("en"):
            labels = [str(Grant.Role(role).label) for role in roles]
            lines = [
                "| Capability | What it allows | " + " | ".join(labels) + " |",
                "|---|---|" + "---|" * len(roles),
            ]
            for capability, meaning in CAPABILITIES.items():
                marks = ["✓" if capability in ROLE_CAPABILITIES[role] else "" for role in roles]
                lines.append(f"| `{capability}` | {meaning} | " + " | ".join(marks) + " |")
        self.stdout.write("\n".join(lines))
