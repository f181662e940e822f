"""Background tasks of care. Each is idempotent: running one twice changes nothing twice."""

from django_tasks import task

from careloop.care.services.gaps import care_gaps_escalate
from careloop.care.services.generation import care_work_generate
from careloop.care.services.reminders import care_reminders_send
from careloop.core import clock


@task()
def care_work_generate_daily() -> int:
    """Create the care work falling due within the horizon, then remind patients of the
    work whose window opened (once a day); the tasks created."""
    today = clock.today()
    created = care_work_generate(as_of=today)
    care_reminders_send(as_of=today)
    return created


@task()
def care_gaps_escalate_daily() -> int:
    """Flag new care gaps and escalate old ones, each step once per task (once a day)."""
    return care_gaps_escalate(as_of=clock.today())
