"""Languages of the desk and the public site, through the real URL conf: the browser's choice, the
switch, the person's own preference, and the verdict's language on its public page."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import formats, timezone, translation
from lxml import html as lxml_html

from claims.choices import ClaimStatus
from reviews import workflow
from reviews.languages import language_of, user_language_set
from reviews.models import Notification, Reviewer, Verdict
from reviews.people import user_add
from tests.factories import ClaimFactory
from tests.reviews.desk import Desk, claim_in_state, desk

pytestmark = pytest.mark.django_db

Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
PASSWORD = "a long password for languages 7"


@pytest.fixture
def team() -> Desk:
    return desk()


def html_of(response):
    return lxml_html.fromstring(response.content.decode())


def root(response) -> tuple[str, str]:
    doc = html_of(response)
    return doc.get("lang"), doc.get("dir")


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def assigned_to(team: Desk, **claim_fields):
    claim = claim_in_state(ClaimStatus.ASSIGNED, team, **claim_fields)
    return claim


def published(team: Desk, language: str, text: str) -> Verdict:
    claim = claim_in_state(ClaimStatus.PUBLISHED, team, language=language, text=text)
    return Verdict.objects.get(claim=claim)


# --- The browser's language ---------------------------------------------------------------------------


def test_english_when_the_browser_asks_for_nothing(client):
    response = client.get(reverse("login"))
    assert root(response) == ("en", "ltr")
    assert "<h1>Log in</h1>" in response.content.decode()
    assert response["Content-Language"] == "en"


def test_english_for_a_language_the_desk_does_not_ship(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert root(response) == ("en", "ltr")


@pytest.mark.parametrize(
    ("accept", "lang", "words"),
    [
        ("es-ES,es;q=0.9,en;q=0.5", "es", ["<h1>Iniciar sesión</h1>", "Nombre de usuario", "Contraseña"]),
        ("fr-FR,fr;q=0.9", "fr", ["<h1>Se connecter</h1>", "Nom d'utilisateur", "Mot de passe"]),
        ("ar", "ar", ["<h1>تسجيل الدخول</h1>", "اسم المستخدم", "كلمة المرور"]),
    ],
)
def test_the_login_page_speaks_the_browser_language(client, accept, lang, words):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE=accept)
    body = response.content.decode()
    assert root(response) == (lang, "rtl" if lang == "ar" else "ltr")
    assert response["Content-Language"] == lang
    for word in words:
        assert word in body


def test_the_queue_in_spanish_and_french(client, team):
    ClaimFactory(text="Los precios subieron un 40 % en marzo.", language="es")
    client.force_login(team.assignee)
    spanish = client.get(reverse("reviews:queue"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "<h1>Cola" in spanish and "1 nueva" in spanish and "Tomar la siguiente" in spanish
    assert "Filtrar la cola" in spanish and "Con fuentes descargadas" in spanish and ">Prioridad<" in spanish
    assert ">Formulario web<" in spanish and "hace 0\xa0minutos" in spanish  # the channel filter; the age
    french = client.get(reverse("reviews:queue"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "File d'attente" in french and "Prendre la suivante" in french and "1 nouvelle" in french
    arabic = client.get(reverse("reviews:queue"), HTTP_ACCEPT_LANGUAGE="ar")
    assert root(arabic) == ("ar", "rtl") and "خذ التالي" in arabic.content.decode()


def test_the_claim_workspace_in_spanish_and_french(client, team):
    claim = assigned_to(team, text="The minister said unemployment fell to 3.9% in March.")
    client.force_login(team.assignee)
    url = reverse("reviews:claim", args=[claim.pk])
    spanish = client.get(url, HTTP_ACCEPT_LANGUAGE="es")
    body = spanish.content.decode()
    assert f"Afirmación {claim.pk}" in body and "Asignada" in body  # heading and status
    for words in ("Tu veredicto", "Calificación", "— elige una calificación —", "Falso", "Mayormente verdadero"):
        assert words in body
    assert "Guardar borrador" in body and "Enviar para aprobación" in body and "Historial" in body
    assert "¿Ya verificada?" in body and "Fuentes" in body
    # The claim itself keeps its own language, marked for screen readers.
    assert html_of(spanish).xpath("//blockquote[@class='claim']/@lang") == ["en"]
    # Dates in the reader's format.
    with translation.override("es"):
        received = formats.date_format(timezone.localtime(claim.created_at), "SHORT_DATETIME_FORMAT")
    assert received in body
    french = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Votre verdict" in french and "Enregistrer le brouillon" in french and "Soumettre pour validation" in french
    assert "Plutôt faux" in french and "Attribuée" in french


def test_messages_are_translated(client, team):
    claim = ClaimFactory(language="en")
    client.force_login(team.assignee)
    response = client.post(reverse("reviews:take-next"), follow=True, HTTP_ACCEPT_LANGUAGE="es")
    assert f"La afirmación {claim.pk} es tuya ahora." in messages_of(response)
    response = client.post(reverse("reviews:take-next"), follow=True, HTTP_ACCEPT_LANGUAGE="fr")
    assert any(message.startswith("La file est vide dans vos langues (en)") for message in messages_of(response))


def test_plural_messages_use_each_language_forms(client, team):
    first, second = ClaimFactory(), ClaimFactory()
    client.force_login(team.editor)
    data = {"claims": [first.pk, second.pk], "assignee": team.other.pk}
    response = client.post(reverse("reviews:assign"), data, follow=True, HTTP_ACCEPT_LANGUAGE="ar")
    assert "أُسند 2 ادعاءان إلى olu." in messages_of(response)  # the dual, one of Arabic's six forms
    with translation.override("ar"):
        assert translation.ngettext("%(counter)s new", "%(counter)s new", 11) % {"counter": 11} == "11 جديدًا"


# --- The public verdict page in the verdict's language ----------------------------------------------


def test_a_spanish_verdict_is_a_spanish_page_for_an_english_browser(client, team):
    verdict = published(team, "es", "El alcalde dijo que el paro bajó a la mitad.")
    response = client.get(reverse("public:verdict", args=[verdict.slug]), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    body = response.content.decode()
    assert root(response) == ("es", "ltr")
    assert response["Content-Language"] == "es"
    assert "Nuestra calificación:" in body and ">Falso<" in body and "La afirmación no es exacta." in body
    assert "Sobre nuestras calificaciones" in body and "Verificación: El alcalde" in body


def test_an_arabic_verdict_is_right_to_left_whatever_the_browser(client, team):
    verdict = published(team, "ar", "قال الوزير إن البطالة انخفضت إلى النصف.")
    response = client.get(reverse("public:verdict", args=[verdict.slug]), HTTP_ACCEPT_LANGUAGE="fr")
    assert root(response) == ("ar", "rtl")
    assert "تقييمنا:" in response.content.decode() and "خاطئ" in response.content.decode()


def test_a_verdict_in_a_language_the_desk_does_not_ship_follows_the_browser(client, team):
    verdict = published(team, "de", "Der Minister sagte, die Arbeitslosigkeit habe sich halbiert.")
    response = client.get(reverse("public:verdict", args=[verdict.slug]), HTTP_ACCEPT_LANGUAGE="fr")
    assert root(response) == ("fr", "ltr")
    assert "Notre évaluation :" in response.content.decode()
    assert html_of(response).xpath("//h1/@lang") == ["de"]  # the claim keeps its own language


def test_the_public_index_and_methodology_follow_the_browser(client, team):
    published(team, "en", "The bridge cost twice its budget.")
    index = client.get(reverse("public:index"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "<h1>Vérifications</h1>" in index and "1 vérification" in index and "Rechercher" in index
    methodology = client.get(reverse("public:methodology"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Nuestra escala de calificación" in methodology and "Verdad a medias" in methodology


# --- The switch ---------------------------------------------------------------------------------------


def test_every_page_has_a_language_switch_that_works_without_javascript(client):
    doc = html_of(client.get(reverse("login")))
    form = doc.xpath("//form[@class='language-switch']")[0]
    assert form.get("method") == "post" and form.get("action") == reverse("set_language")
    assert form.xpath(".//input[@name='csrfmiddlewaretoken']")
    assert form.xpath(".//select[@name='language']/option/@value") == ["en", "es", "fr", "ar"]
    assert form.xpath(".//option[@value='ar']/text()") == ["العربيّة"]  # each language in its own words
    public = html_of(client.get(reverse("public:index")))
    assert public.xpath("//form[@class='language-switch']//select[@name='language']")


def test_the_switch_sets_the_language_for_the_next_pages(client):
    response = client.post(reverse("set_language"), {"language": "fr", "next": "/login/"})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="es")  # the switch beats the browser
    assert root(page) == ("fr", "ltr") and "<h1>Se connecter</h1>" in page.content.decode()


def test_the_switch_refuses_an_unsafe_next_page_and_an_unknown_language(client):
    response = client.post(reverse("set_language"), {"language": "xx", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_the_switch_also_saves_a_signed_in_person_preference(client, team):
    client.force_login(team.assignee)
    client.post(reverse("set_language"), {"language": "es", "next": "/desk/"})
    assert Reviewer.objects.get(user=team.assignee).preferred_language == "es"


# --- The person's own preference -----------------------------------------------------------------------


def test_the_preferred_language_applies_from_log_in_on_every_device(client, team):
    user_add("lina", "factchecker", ["en"], PASSWORD)
    user = Reviewer.objects.get(user__username="lina").user
    user_language_set(user, "fr")
    response = client.post(
        reverse("login"), {"username": "lina", "password": PASSWORD}, follow=True, HTTP_ACCEPT_LANGUAGE="es"
    )
    assert response.status_code == 200
    assert root(response) == ("fr", "ltr")  # the queue, in French although the browser asks for Spanish
    assert "Prendre la suivante" in response.content.decode()
    queue = client.get(reverse("reviews:queue"), HTTP_ACCEPT_LANGUAGE="ar")
    assert root(queue) == ("fr", "ltr")


def test_without_a_preference_the_browser_decides_after_log_in(client, team):
    user_add("tomas", "factchecker", ["en"], PASSWORD)
    response = client.post(
        reverse("login"), {"username": "tomas", "password": PASSWORD}, follow=True, HTTP_ACCEPT_LANGUAGE="es"
    )
    assert root(response) == ("es", "ltr")


def test_the_account_page_sets_and_clears_the_preference(client, team):
    client.force_login(team.assignee)
    page = client.get(reverse("reviews:account-language"), HTTP_ACCEPT_LANGUAGE="es")
    assert page.status_code == 200 and "Seguir a mi navegador" in page.content.decode()
    response = client.post(reverse("reviews:account-language"), {"language": "ar"}, follow=True)
    assert root(response) == ("ar", "rtl")
    assert "حُفظت لغتك" in messages_of(response)[0]
    assert Reviewer.objects.get(user=team.assignee).preferred_language == "ar"
    assert root(client.get(reverse("reviews:queue"), HTTP_ACCEPT_LANGUAGE="fr")) == ("ar", "rtl")
    cleared = client.post(reverse("reviews:account-language"), {"language": ""}, HTTP_ACCEPT_LANGUAGE="fr", follow=True)
    assert Reviewer.objects.get(user=team.assignee).preferred_language == ""
    assert root(cleared) == ("fr", "ltr")
    assert messages_of(cleared) == ["La rédaction suit de nouveau la langue de votre navigateur."]


def test_the_account_page_refuses_a_language_the_desk_does_not_ship(client, team):
    client.force_login(team.assignee)
    response = client.post(reverse("reviews:account-language"), {"language": "de"})
    assert response.status_code == 400
    assert Reviewer.objects.get(user=team.assignee).preferred_language == ""


def test_the_account_page_needs_a_log_in(client):
    response = client.get(reverse("reviews:account-language"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- Notifications and e-mails in the recipient's language -------------------------------------------


def test_notifications_and_emails_are_written_in_the_recipient_language(team, django_capture_on_commit_callbacks):
    team.other.email = "olu@example.org"
    team.other.save()
    user_language_set(team.other, "es")
    claim = ClaimFactory()
    with translation.override("fr"), django_capture_on_commit_callbacks(execute=True):  # the editor reads French
        workflow.claim_assign(team.editor, claim.pk, team.other)
    note = Notification.objects.get(user=team.other)
    assert note.message == f"Se te asignó la afirmación {claim.pk}."
    assert mail.outbox[-1].subject == f"[factcheck] Se te asignó la afirmación {claim.pk}."
    assert language_of(team.editor) == "en"  # no preference: the desk's default
