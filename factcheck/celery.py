"""The Celery application: workers fetch cited sources in the background."""

import os

from celery import Celery

from factcheck.broker import make_broker_loss_survivable

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")

app = Celery("factcheck")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
make_broker_loss_survivable()
