"""``manage.py add_user``."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from reviews.people import role_of


def add_user(*args: str, stdin: str | None = None) -> str:
    out = io.StringIO()
    kwargs = {"stdout": out}
    if stdin is not None:
        kwargs["stdin"] = io.StringIO(stdin)
    call_command("add_user", *args, **kwargs)
    return out.getvalue()


@pytest.mark.django_db
def test_add_a_fact_checker_without_a_password():
    output = add_user("ana", "--role", "factchecker", "--languages", "en, pt-BR")
    user = get_user_model().objects.get(username="ana")
    assert role_of(user) == "factchecker" and not user.is_staff
    assert user.reviewer.languages == ["en", "pt-BR"]
    assert user.has_perm("reviews.work_claims") and not user.has_perm("reviews.edit_claims")
    assert not user.has_usable_password()
    assert "no usable password" in output


@pytest.mark.django_db
def test_add_an_editor_with_a_password_from_stdin():
    output = add_user("eda", "--role", "editor", "--password-stdin", stdin="s3cret pass\n")
    user = get_user_model().objects.get(username="eda")
    assert user.check_password("s3cret pass")
    assert user.is_staff and not user.is_superuser and role_of(user) == "editor"
    assert "no usable password" not in output


@pytest.mark.django_db
def test_running_it_again_changes_the_role_and_keeps_the_password():
    add_user("adm", "--role", "admin", "--password-stdin", stdin="pw\n")
    assert get_user_model().objects.get(username="adm").is_superuser
    add_user("adm", "--role", "factchecker", "--languages", "fr")
    user = get_user_model().objects.get(username="adm")
    assert role_of(user) == "factchecker" and not user.is_superuser and not user.is_staff
    assert user.check_password("pw")
    assert user.reviewer.languages == ["fr"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["x", "--role", "chief"], None, "invalid choice"),
        (["x", "--role", "editor", "--languages", "not a language"], None, "Bad language"),
        (["x", "--role", "editor", "--password-stdin"], "", "no password"),
        (["  ", "--role", "editor"], None, "Give a username"),
    ],
)
def test_bad_input_is_a_command_error(args, stdin, message):
    with pytest.raises(CommandError, match=message):
        add_user(*args, stdin=stdin)
    assert not get_user_model().objects.filter(username="x").exists()
