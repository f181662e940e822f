"""REST resources for memberships (/api/v1/memberships) and the coverage check (/api/v1/coverage).

Staff act by capability: membership.view reads, membership.enroll enrolls and adds members,
membership.change runs the other lifecycle actions, membership.price_change moves a member to
another price version; backdating (a date in the past) needs membership.backdate, which the
services enforce. A patient may read a membership that covers them and its balances, and ask
whether they are covered; everything else answers them "not found".

Each lifecycle action is its own operation under /memberships/{id}/actions/. It takes
`effective_on` (today when empty: a later date schedules the change, an earlier one is
backdating) or `at_period_end`, and answers with the membership and the scheduled change, if
the action was scheduled rather than applied. An action the membership's status does not allow
is a 409 problem saying when it is possible. Money is integer minor units (cents).
"""

from careloop.api.memberships import actions, resources
from careloop.api.memberships.common import coverage_router, memberships_router

__all__ = ["actions", "coverage_router", "memberships_router", "resources"]
