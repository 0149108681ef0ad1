"""In-app notifications, with an e-mail through Django's e-mail backend, in the recipient's language."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext

from claims.models import Claim
from reviews.languages import language_of
from reviews.models import Notification

logger = logging.getLogger(__name__)


def notify(user: AbstractBaseUser, kind: str, claim: Claim, message: str | Promise, **params: object) -> Notification:
    """Tell ``user``; ``message`` (a lazy translation, ``%(claim)s`` and ``params`` filled in) is written in their language.

    The text is stored as written then, so it reads the same however often the notification is shown.
    """
    with translation.override(language_of(user)):
        text = str(message) % {"claim": claim.pk, **params}
        subject = gettext("[factcheck] %(message)s") % {"message": text[:80]}
    note = Notification.objects.create(user=user, kind=kind, claim=claim, message=text)
    if user.email:
        try:
            send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, [user.email])
        except Exception:  # mail trouble must not undo the workflow change
            logger.warning("could not e-mail %s", user.get_username(), exc_info=True)
    return note


def notifications_mark_read(user: AbstractBaseUser, ids: list[int] | None = None) -> int:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
