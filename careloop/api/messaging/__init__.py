"""REST resources for secure messaging, under /api/v1/messaging.

Threads (inboxes, a patient's threads, starting one, reading one with its messages),
messages and internal notes, read marks, claim / assign / reassign / close / reopen,
attachment downloads, teams, routing rules, reply templates and the response-time figures.

A patient signed in to the portal (session or token) lists, reads and writes only their own
threads and never sees an internal note; anything else is "not found". Staff follow
`access_thread` (careloop/messaging/access.py): message.view to read the threads of their
role's teams or assigned to them (every thread with message.view_all), message.reply to write,
message.assign to give threads to others. Routing rules and templates are changed with
messaging.configure (admins). Every read of a thread and every change leaves an audit row.
"""

from careloop.api.messaging import configuration, figures, threads
from careloop.api.messaging.common import messaging_router

__all__ = ["configuration", "figures", "messaging_router", "threads"]
