"""The office shell's words in fr, en, de and nl, and the words every package's office pages
share (:class:`PageTexts`: a package's own words over :data:`PAGE_WORDS`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crm.core.i18n import pick, translate

UI: dict[str, dict[str, str]] = {
    "office": {
        "fr": "Espace office",
        "en": "Office",
        "de": "Büro-Bereich",
        "nl": "Kantooromgeving",
    },
    "skip": {
        "fr": "Aller au contenu",
        "en": "Skip to content",
        "de": "Zum Inhalt springen",
        "nl": "Naar de inhoud",
    },
    "menu": {"fr": "Menu principal", "en": "Main menu", "de": "Hauptmenü", "nl": "Hoofdmenu"},
    "language": {"fr": "Langue", "en": "Language", "de": "Sprache", "nl": "Taal"},
    "sign_in": {"fr": "Se connecter", "en": "Sign in", "de": "Anmelden", "nl": "Aanmelden"},
    "sign_in_title": {
        "fr": "Connexion à l'espace office",
        "en": "Sign in to the office",
        "de": "Anmeldung im Büro-Bereich",
        "nl": "Aanmelden bij de kantooromgeving",
    },
    "sign_out": {"fr": "Se déconnecter", "en": "Sign out", "de": "Abmelden", "nl": "Afmelden"},
    "signed_out": {
        "fr": "Vous êtes déconnecté·e.",
        "en": "You are signed out.",
        "de": "Sie sind abgemeldet.",
        "nl": "U bent afgemeld.",
    },
    "destination": {
        "fr": "Destination (identifiant)",
        "en": "Destination (identifier)",
        "de": "Reiseziel (Kennung)",
        "nl": "Bestemming (code)",
    },
    "destination_name": {
        "fr": "Destination",
        "en": "Destination",
        "de": "Reiseziel",
        "nl": "Bestemming",
    },
    "email": {
        "fr": "Adresse e-mail",
        "en": "E-mail address",
        "de": "E-Mail-Adresse",
        "nl": "E-mailadres",
    },
    "password": {"fr": "Mot de passe", "en": "Password", "de": "Passwort", "nl": "Wachtwoord"},
    "required": {
        "fr": "Ce champ est obligatoire.",
        "en": "This field is required.",
        "de": "Dieses Feld ist erforderlich.",
        "nl": "Dit veld is verplicht.",
    },
    "too_long": {
        "fr": "Au plus {max} caractères.",
        "en": "At most {max} characters.",
        "de": "Höchstens {max} Zeichen.",
        "nl": "Hoogstens {max} tekens.",
    },
    "bad_characters": {
        "fr": "Ce champ contient un caractère non autorisé.",
        "en": "This field contains a character that is not allowed.",
        "de": "Dieses Feld enthält ein unzulässiges Zeichen.",
        "nl": "Dit veld bevat een teken dat niet is toegestaan.",
    },
    "denied": {
        "fr": "Identifiants incorrects : vérifiez la destination, l'adresse e-mail et le mot "
        "de passe.",
        "en": "These details do not match an account: check the destination, the e-mail "
        "address and the password.",
        "de": "Diese Angaben passen zu keinem Konto: Prüfen Sie Reiseziel, E-Mail-Adresse und "
        "Passwort.",
        "nl": "Deze gegevens horen bij geen account: controleer de bestemming, het e-mailadres "
        "en het wachtwoord.",
    },
    "denied_account": {
        "fr": "Identifiants incorrects : vérifiez l'adresse e-mail et le mot de passe.",
        "en": "These details do not match an account: check the e-mail address and the password.",
        "de": "Diese Angaben passen zu keinem Konto: Prüfen Sie E-Mail-Adresse und Passwort.",
        "nl": "Deze gegevens horen bij geen account: controleer het e-mailadres en het wachtwoord.",
    },
    "fix": {
        "fr": "Merci de corriger les champs signalés.",
        "en": "Please correct the fields marked below.",
        "de": "Bitte korrigieren Sie die markierten Felder.",
        "nl": "Verbeter a.u.b. de gemarkeerde velden.",
    },
    "throttled": {
        "fr": "Trop de tentatives de connexion échouées. Réessayez dans {minutes} min.",
        "en": "Too many failed sign-in attempts. Please try again in {minutes} min.",
        "de": "Zu viele fehlgeschlagene Anmeldeversuche. Bitte versuchen Sie es in {minutes} "
        "Min. erneut.",
        "nl": "Te veel mislukte aanmeldpogingen. Probeer het over {minutes} min. opnieuw.",
    },
    "forbidden_title": {
        "fr": "Accès refusé",
        "en": "Access denied",
        "de": "Zugriff verweigert",
        "nl": "Toegang geweigerd",
    },
    "forbidden_role": {
        "fr": "Cette page est réservée aux rôles : {roles}. Votre rôle : {role}.",
        "en": "This page is for these roles: {roles}. Your role: {role}.",
        "de": "Diese Seite ist diesen Rollen vorbehalten: {roles}. Ihre Rolle: {role}.",
        "nl": "Deze pagina is voor deze rollen: {roles}. Uw rol: {role}.",
    },
    "forbidden_form": {
        "fr": "Ce formulaire a expiré ou ne vient pas de cette page. Rechargez la page et "
        "recommencez.",
        "en": "This form has expired or did not come from this site. Reload the page and try "
        "again.",
        "de": "Dieses Formular ist abgelaufen oder stammt nicht von dieser Seite. Laden Sie die "
        "Seite neu und versuchen Sie es noch einmal.",
        "nl": "Dit formulier is verlopen of komt niet van deze site. Laad de pagina opnieuw en "
        "probeer het nog eens.",
    },
    "back_home": {
        "fr": "Retour à l'accueil",
        "en": "Back to the home page",
        "de": "Zurück zur Startseite",
        "nl": "Terug naar de startpagina",
    },
    "back_sign_in": {
        "fr": "Retour à la connexion",
        "en": "Back to sign-in",
        "de": "Zurück zur Anmeldung",
        "nl": "Terug naar aanmelden",
    },
    "home": {"fr": "Accueil", "en": "Home", "de": "Start", "nl": "Start"},
    "gateways": {"fr": "Passerelles", "en": "Gateways", "de": "Gateways", "nl": "Gateways"},
    "staff": {"fr": "Équipe", "en": "Staff", "de": "Team", "nl": "Medewerkers"},
    "welcome": {
        "fr": "Bonjour {name}",
        "en": "Hello {name}",
        "de": "Guten Tag, {name}",
        "nl": "Hallo {name}",
    },
    "you": {"fr": "Votre compte", "en": "Your account", "de": "Ihr Konto", "nl": "Uw account"},
    "role": {"fr": "Rôle", "en": "Role", "de": "Rolle", "nl": "Rol"},
    "signed_in_as": {
        "fr": "Connecté·e : {email}",
        "en": "Signed in: {email}",
        "de": "Angemeldet: {email}",
        "nl": "Aangemeld: {email}",
    },
    "session_until": {
        "fr": "Session valable jusqu'au {until}",
        "en": "Session valid until {until}",
        "de": "Sitzung gültig bis {until}",
        "nl": "Sessie geldig tot {until}",
    },
    "fleet": {
        "fr": "Parc de passerelles",
        "en": "Gateway fleet",
        "de": "Gateway-Flotte",
        "nl": "Gatewayvloot",
    },
    "fleet_empty": {
        "fr": "Aucune passerelle n'est encore enregistrée.",
        "en": "No gateway is registered yet.",
        "de": "Noch kein Gateway registriert.",
        "nl": "Nog geen gateway geregistreerd.",
    },
    "see_all": {
        "fr": "Voir la liste",
        "en": "See the list",
        "de": "Liste ansehen",
        "nl": "Lijst bekijken",
    },
    "elsewhere": {
        "fr": "Dans l'espace office",
        "en": "In the office",
        "de": "Im Büro-Bereich",
        "nl": "In de kantooromgeving",
    },
    "gateway": {"fr": "Passerelle", "en": "Gateway", "de": "Gateway", "nl": "Gateway"},
    "site": {"fr": "Site", "en": "Site", "de": "Standort", "nl": "Locatie"},
    "state": {"fr": "État", "en": "State", "de": "Status", "nl": "Status"},
    "last_heartbeat": {
        "fr": "Dernier signal",
        "en": "Last heartbeat",
        "de": "Letztes Signal",
        "nl": "Laatste signaal",
    },
    "version": {"fr": "Version", "en": "Version", "de": "Version", "nl": "Versie"},
    "gateways_intro": {
        "fr": "État d'après le dernier signal de chaque passerelle (heures de {zone}).",
        "en": "State from each gateway's last heartbeat (times in {zone}).",
        "de": "Status nach dem letzten Signal jedes Gateways (Zeiten in {zone}).",
        "nl": "Status volgens het laatste signaal van elke gateway (tijden in {zone}).",
    },
    "name": {"fr": "Nom", "en": "Name", "de": "Name", "nl": "Naam"},
    "account_state": {"fr": "Compte", "en": "Account", "de": "Konto", "nl": "Account"},
    "enabled": {"fr": "Actif", "en": "Active", "de": "Aktiv", "nl": "Actief"},
    "disabled": {"fr": "Désactivé", "en": "Disabled", "de": "Deaktiviert", "nl": "Uitgeschakeld"},
    "staff_intro": {
        "fr": "Les comptes de l'office pour {destination}.",
        "en": "The office's accounts for {destination}.",
        "de": "Die Konten des Büros für {destination}.",
        "nl": "De accounts van het kantoor voor {destination}.",
    },
}

ROLE_LABELS: dict[str, dict[str, str]] = {
    "admin": {
        "fr": "Administration",
        "en": "Administrator",
        "de": "Administration",
        "nl": "Beheerder",
    },
    "marketing": {"fr": "Marketing", "en": "Marketing", "de": "Marketing", "nl": "Marketing"},
    "desk": {"fr": "Accueil", "en": "Front desk", "de": "Empfang", "nl": "Balie"},
}

GATEWAY_STATES: dict[str, dict[str, str]] = {
    "online": {"fr": "En ligne", "en": "Online", "de": "Online", "nl": "Online"},
    "stale": {"fr": "Silencieuse", "en": "Quiet", "de": "Verzögert", "nl": "Vertraagd"},
    "offline": {"fr": "Hors ligne", "en": "Offline", "de": "Offline", "nl": "Offline"},
    "never": {"fr": "Jamais vue", "en": "Never heard", "de": "Nie gemeldet", "nl": "Nooit gemeld"},
}


def ui(language: str) -> dict[str, str]:
    """Every shell text in ``language`` (templates read ``ui.key``)."""
    return {key: pick(texts, language) for key, texts in UI.items()}


def t(key: str, language: str, **values: object) -> str:
    """Shell text ``key`` in ``language``, its fields filled in."""
    return translate(UI, key, language, **values)


def role_label(role: str, language: str) -> str:
    """A staff role's name in ``language``."""
    return translate(ROLE_LABELS, role, language) if role in ROLE_LABELS else role


def state_labels(language: str) -> dict[str, str]:
    """Each gateway state's name in ``language``."""
    return {state: pick(labels, language) for state, labels in GATEWAY_STATES.items()}


# The words the office pages of other packages share: their lists (filters, pages), their forms
# (sections, buttons, notices) and the messages next to a bad field. key: (fr, en, de, nl).
_PAGE_WORDS: dict[str, tuple[str, str, str, str]] = {
    "filter": ("Filtrer", "Filter", "Filtern", "Filteren"),
    "any": ("Tous", "All", "Alle", "Alle"),
    "page": (
        "Page {page} sur {pages}",
        "Page {page} of {pages}",
        "Seite {page} von {pages}",
        "Pagina {page} van {pages}",
    ),
    "previous": ("Page précédente", "Previous page", "Vorherige Seite", "Vorige pagina"),
    "next": ("Page suivante", "Next page", "Nächste Seite", "Volgende pagina"),
    "pages": ("Pages", "Pages", "Seiten", "Pagina's"),
    "status": ("État", "Status", "Status", "Status"),
    "texts": ("Textes", "Texts", "Texte", "Teksten"),
    "title": ("Titre", "Title", "Titel", "Titel"),
    "image": ("Image", "Image", "Bild", "Afbeelding"),
    "image_url": (
        "Adresse de l'image (https)",
        "Image address (https)",
        "Bildadresse (https)",
        "Adres van de afbeelding (https)",
    ),
    "image_credit": ("Crédit photo", "Photo credit", "Bildnachweis", "Fotocredit"),
    "days": (
        "Jours (aucun : tous)",
        "Days (none: every day)",
        "Tage (keiner: alle)",
        "Dagen (geen: alle)",
    ),
    "zone_hint": (
        "Heure locale ({zone}).",
        "Local time ({zone}).",
        "Ortszeit ({zone}).",
        "Lokale tijd ({zone}).",
    ),
    "save": ("Enregistrer", "Save", "Speichern", "Opslaan"),
    "create": ("Créer", "Create", "Anlegen", "Aanmaken"),
    "saved": (
        "Enregistré : {fields}.",
        "Saved: {fields}.",
        "Gespeichert: {fields}.",
        "Opgeslagen: {fields}.",
    ),
    "unchanged": (
        "Rien n'a changé.",
        "Nothing changed.",
        "Nichts geändert.",
        "Er is niets gewijzigd.",
    ),
    "errors": (
        "Corrigez les champs signalés : rien n'a été enregistré.",
        "Fix the fields marked below: nothing was saved.",
        "Korrigieren Sie die markierten Felder: Es wurde nichts gespeichert.",
        "Verbeter de gemarkeerde velden: er is niets opgeslagen.",
    ),
    # Messages shown next to a bad field.
    "e_required_title": (
        "Donnez un titre dans au moins une langue.",
        "Give a title in at least one language.",
        "Geben Sie einen Titel in mindestens einer Sprache an.",
        "Geef een titel in minstens één taal.",
    ),
    "e_url": (
        "Une adresse https://…",
        "An https://… address",
        "Eine https://…-Adresse",
        "Een https://…-adres",
    ),
    "e_credit": (
        "Le crédit accompagne une image.",
        "A credit goes with an image.",
        "Ein Bildnachweis gehört zu einem Bild.",
        "Een credit hoort bij een afbeelding.",
    ),
    "e_datetime": (
        "Une date et une heure.",
        "A date and a time.",
        "Ein Datum und eine Uhrzeit.",
        "Een datum en een tijd.",
    ),
    "e_time": (
        "Une heure HH:MM (24:00 pour minuit).",
        "A time HH:MM (24:00 for midnight).",
        "Eine Uhrzeit HH:MM (24:00 für Mitternacht).",
        "Een tijd UU:MM (24:00 voor middernacht).",
    ),
    "e_order": (
        "La fin vient avant le début.",
        "The end comes before the start.",
        "Das Ende liegt vor dem Anfang.",
        "Het einde ligt voor het begin.",
    ),
    "e_choice": (
        "Choisissez dans la liste.",
        "Pick one from the list.",
        "Wählen Sie aus der Liste.",
        "Kies uit de lijst.",
    ),
}
_PAGE_LANGUAGES = ("fr", "en", "de", "nl")


def _table(words: Mapping[str, tuple[str, str, str, str]]) -> dict[str, dict[str, str]]:
    return {key: dict(zip(_PAGE_LANGUAGES, values, strict=True)) for key, values in words.items()}


PAGE_WORDS: dict[str, dict[str, str]] = {
    **_table(_PAGE_WORDS),
    "e_too_long": UI["too_long"],
    "e_characters": UI["bad_characters"],
}
# The days of the week, short (a form's day boxes, a schedule's summary).
DAY_NAMES: dict[str, dict[str, str]] = {
    "mon": {"fr": "lun", "en": "Mon", "de": "Mo", "nl": "ma"},
    "tue": {"fr": "mar", "en": "Tue", "de": "Di", "nl": "di"},
    "wed": {"fr": "mer", "en": "Wed", "de": "Mi", "nl": "wo"},
    "thu": {"fr": "jeu", "en": "Thu", "de": "Do", "nl": "do"},
    "fri": {"fr": "ven", "en": "Fri", "de": "Fr", "nl": "vr"},
    "sat": {"fr": "sam", "en": "Sat", "de": "Sa", "nl": "za"},
    "sun": {"fr": "dim", "en": "Sun", "de": "So", "nl": "zo"},
}


class PageTexts:
    """The words of a package's office pages: its own (key: (fr, en, de, nl)) over the shared
    :data:`PAGE_WORDS` (a key of both: the package's wins)."""

    def __init__(self, own: Mapping[str, tuple[str, str, str, str]]) -> None:
        self.table: dict[str, dict[str, str]] = {**PAGE_WORDS, **_table(own)}

    def word(self, key: str, language: str, **values: object) -> str:
        """Word ``key`` in ``language``, its fields filled in."""
        return translate(self.table, key, language, **values)

    def words(self, language: str) -> dict[str, str]:
        """Every word without fields, for templates (``w.title``)."""
        return {
            key: texts[language] for key, texts in self.table.items() if "{" not in texts[language]
        }

    def context(self, language: str) -> dict[str, Any]:
        """What a page's template reads its words from: ``w.key`` and ``word(key, **values)``."""

        def word(key: str, **values: object) -> str:
            return self.word(key, language, **values)

        return {"w": self.words(language), "word": word}
