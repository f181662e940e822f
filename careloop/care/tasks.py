"""Background tasks of care. Each is idempotent: running one twice changes nothing twice."""

from django_tasks import task

from careloop.care.services.gaps import care_gaps_escalate
from careloop.care.services.generation import care_work_generate
from careloop.core import clock


@task()
def care_work_generate_daily() -> int:
    """Create the care work falling due within the horizon (once a day)."""
    return care_work_generate(as_of=clock.today())


@task()
def care_gaps_escalate_daily() -> int:
    """Flag new care gaps and escalate old ones, each step once per task (once a day)."""
    return care_gaps_escalate(as_of=clock.today())
