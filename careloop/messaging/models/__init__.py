from careloop.messaging.models.attachments import Attachment
from careloop.messaging.models.clocks import ResponseClock
from careloop.messaging.models.routing import (
    Assignment,
    LapsedMembershipMessaging,
    MessagingSettings,
    MessagingTeam,
    OutOfOffice,
    ReplyTemplate,
    RoutingRule,
    RoutingTarget,
    Topic,
)
from careloop.messaging.models.threads import (
    Message,
    MessageKind,
    ReadState,
    Thread,
    ThreadChange,
    ThreadNotice,
    ThreadStatus,
)

__all__ = [
    "Assignment",
    "Attachment",
    "LapsedMembershipMessaging",
    "Message",
    "MessageKind",
    "MessagingSettings",
    "MessagingTeam",
    "OutOfOffice",
    "ReadState",
    "ReplyTemplate",
    "ResponseClock",
    "RoutingRule",
    "RoutingTarget",
    "Thread",
    "ThreadChange",
    "ThreadNotice",
    "ThreadStatus",
    "Topic",
]
