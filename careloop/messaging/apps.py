from datetime import timedelta

from django.apps import AppConfig

# Warnings fall due at a share of a target counted in business hours; a sweep every five
# minutes keeps a warning or breach notice at most that late.
ESCALATE_INTERVAL = timedelta(minutes=5)


class MessagingConfig(AppConfig):
    name = "careloop.messaging"
    label = "messaging"
    verbose_name = "Messaging"

    def ready(self) -> None:
        from careloop.core.periodic import PeriodicJob, register
        from careloop.messaging.tasks import messaging_escalate_due

        register(
            PeriodicJob(
                name="messaging_escalate", every=ESCALATE_INTERVAL, task=messaging_escalate_due
            )
        )
