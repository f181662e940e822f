import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careloop.settings")
application = get_wsgi_application()

# What is loaded by now (Django, Careloop's modules, settings) lives as long as the process.
# Freezing it keeps it out of the collector's full passes, which otherwise walk all of it on
# a request now and then: tens of milliseconds each (docs/architecture.md, "Heap").
gc.freeze()
