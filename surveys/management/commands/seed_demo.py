from django.core.management.base import BaseCommand

from surveys.demo import demo_seed


class Command(BaseCommand):
    help = "Create a demo chain (regions and halls) with two audits and a few thousand responses."

    def add_arguments(self, parser):
        parser.add_argument("--responses", type=int, default=2400, help="Responses of the two-column audit.")

    def handle(self, *args, responses: int, **options):
        if responses < 0 or responses > 200_000:
            from django.core.management.base import CommandError

            raise CommandError("--responses must be between 0 and 200000")
        for audit in demo_seed(n_two_column=responses, n_three_column=max(responses * 3 // 8, 0)):
            self.stdout.write(f"Demo audit {audit.slug}: {audit.responses.count()} responses")
