from careloop.messaging.tests.messaging_fixtures import (  # noqa: F401 (fixtures)
    ann_in_concierge,
    attachment_folder,
    clinical,
)
