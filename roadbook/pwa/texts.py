"""The roadbook page's own words in fr/en/de/nl, and its dates and times in the visitor's language.

Pure functions: no database, no clock (the view's ``generated_at`` is "now"). The words the
engine and the service already chose (section titles, reasons, the "Partner offer" label, the
notice) come with the view; these are the page's frame around them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from crm.core.i18n import supported, translate
from roadbook.i18n import message

# Between the two ends of a time range.
DASH = "\N{EN DASH}"

TEXTS: dict[str, dict[str, str]] = {
    "skip": {
        "fr": "Aller au contenu",
        "en": "Skip to content",
        "de": "Zum Inhalt springen",
        "nl": "Naar de inhoud",
    },
    "language": {"fr": "Langue", "en": "Language", "de": "Sprache", "nl": "Taal"},
    "updated": {
        "fr": "Mis à jour : {when}",
        "en": "Updated: {when}",
        "de": "Aktualisiert: {when}",
        "nl": "Bijgewerkt: {when}",
    },
    "offline": {
        "fr": "Vous êtes hors ligne : voici votre carnet tel qu'il était ({when}).",
        "en": "You are offline: this is your roadbook as it was ({when}).",
        "de": "Sie sind offline: Dies ist Ihr Reisebuch mit Stand {when}.",
        "nl": "U bent offline: dit is uw reisboek zoals het was ({when}).",
    },
    "change_choices": {
        "fr": "Changer mes choix",
        "en": "Change my choices",
        "de": "Meine Auswahl ändern",
        "nl": "Mijn keuzes wijzigen",
    },
    "partner": {"fr": "Partenaire", "en": "Partner", "de": "Partner", "nl": "Partner"},
    "photo": {
        "fr": "Photo : {credit}",
        "en": "Photo: {credit}",
        "de": "Foto: {credit}",
        "nl": "Foto: {credit}",
    },
    "your_code": {"fr": "Votre code", "en": "Your code", "de": "Ihr Code", "nl": "Uw code"},
    "redeem_code": {
        "fr": "Donnez ce code au comptoir du partenaire.",
        "en": "Give this code at the partner's counter.",
        "de": "Nennen Sie diesen Code an der Theke des Partners.",
        "nl": "Geef deze code aan de balie van de partner.",
    },
    "redeem_qr": {
        "fr": "Présentez ce code QR au comptoir du partenaire.",
        "en": "Show this QR code at the partner's counter.",
        "de": "Zeigen Sie diesen QR-Code an der Theke des Partners.",
        "nl": "Toon deze QR-code aan de balie van de partner.",
    },
    "redeem_screen": {
        "fr": "Montrez cet écran au comptoir du partenaire.",
        "en": "Show this screen at the partner's counter.",
        "de": "Zeigen Sie diesen Bildschirm an der Theke des Partners.",
        "nl": "Toon dit scherm aan de balie van de partner.",
    },
    "qr_of": {
        "fr": "Code QR du code {code}",
        "en": "QR code of code {code}",
        "de": "QR-Code des Codes {code}",
        "nl": "QR-code van code {code}",
    },
    "visits": {"fr": "Vos visites", "en": "Your visits", "de": "Ihre Besuche", "nl": "Uw bezoeken"},
    "no_visits": {
        "fr": "Aucune visite enregistrée pour l'instant.",
        "en": "No visits recorded yet.",
        "de": "Noch keine Besuche erfasst.",
        "nl": "Nog geen bezoeken geregistreerd.",
    },
    "here_now": {
        "fr": "vous y êtes",
        "en": "you are here",
        "de": "Sie sind hier",
        "nl": "u bent hier",
    },
    "minutes": {
        "fr": "{minutes} min",
        "en": "{minutes} min",
        "de": "{minutes} Min.",
        "nl": "{minutes} min",
    },
    "now": {"fr": "Maintenant", "en": "Now", "de": "Jetzt", "nl": "Nu"},
    "today": {"fr": "Aujourd'hui", "en": "Today", "de": "Heute", "nl": "Vandaag"},
    "tomorrow": {"fr": "Demain", "en": "Tomorrow", "de": "Morgen", "nl": "Morgen"},
    "until": {"fr": "jusqu'à {when}", "en": "until {when}", "de": "bis {when}", "nl": "tot {when}"},
    "until_midnight": {
        "fr": "jusqu'à minuit",
        "en": "until midnight",
        "de": "bis Mitternacht",
        "nl": "tot middernacht",
    },
    "until_day": {
        "fr": "jusqu'au {when}",
        "en": "until {when}",
        "de": "bis {when}",
        "nl": "tot en met {when}",
    },
    "take_away": {
        "fr": "Emporter mon carnet",
        "en": "Take my roadbook along",
        "de": "Reisebuch mitnehmen",
        "nl": "Mijn reisboek meenemen",
    },
    "calendar": {
        "fr": "Dans mon agenda (iCalendar)",
        "en": "In my calendar (iCalendar)",
        "de": "In meinen Kalender (iCalendar)",
        "nl": "In mijn agenda (iCalendar)",
    },
    "privacy_link": {
        "fr": "Mes choix, télécharger ou effacer mes données",
        "en": "My choices, download or erase my data",
        "de": "Meine Auswahl, Daten herunterladen oder löschen",
        "nl": "Mijn keuzes, gegevens downloaden of wissen",
    },
    # The "My data" page (/r/{token}/privacy).
    "choices": {"fr": "Mes choix", "en": "My choices", "de": "Meine Auswahl", "nl": "Mijn keuzes"},
    "choices_intro": {
        "fr": "Chaque accord est facultatif ; vous pouvez le retirer aussi simplement que vous "
        "l'avez donné. Sans personnalisation, vous recevez le carnet de l'office.",
        "en": "Each consent is optional; you can withdraw it as easily as you gave it. Without "
        "personalisation you get the office's roadbook.",
        "de": "Jede Einwilligung ist freiwillig; Sie können sie so einfach widerrufen, wie Sie "
        "sie gegeben haben. Ohne Personalisierung erhalten Sie das Reisebuch des Büros.",
        "nl": "Elke toestemming is optioneel; u kunt ze even eenvoudig intrekken als u ze gaf. "
        "Zonder personalisatie krijgt u het reisboek van het bureau.",
    },
    "save": {
        "fr": "Enregistrer mes choix",
        "en": "Save my choices",
        "de": "Auswahl speichern",
        "nl": "Keuzes opslaan",
    },
    "saved": {
        "fr": "Vos choix sont enregistrés.",
        "en": "Your choices are saved.",
        "de": "Ihre Auswahl ist gespeichert.",
        "nl": "Uw keuzes zijn opgeslagen.",
    },
    "download_intro": {
        "fr": "Tout ce que nous gardons sur vous, en un fichier JSON.",
        "en": "Everything we hold about you, in one JSON file.",
        "de": "Alles, was wir über Sie speichern, in einer JSON-Datei.",
        "nl": "Alles wat we over u bewaren, in één JSON-bestand.",
    },
    "erase": {
        "fr": "Effacer mes données",
        "en": "Erase my data",
        "de": "Meine Daten löschen",
        "nl": "Mijn gegevens wissen",
    },
    "erase_intro": {
        "fr": "Votre profil, vos accords, vos visites et ce que votre carnet vous a montré sont "
        "effacés définitivement, et l'adresse de ce carnet cesse de fonctionner. "
        "On ne peut pas revenir en arrière.",
        "en": "Your profile, consents, visits and what your roadbook showed you are erased for "
        "good, and this roadbook's address stops working. This cannot be undone.",
        "de": "Ihr Profil, Ihre Einwilligungen, Ihre Besuche und was Ihr Reisebuch Ihnen "
        "gezeigt hat, werden endgültig gelöscht, und die Adresse dieses Reisebuchs "
        "funktioniert nicht mehr. Das lässt sich nicht rückgängig machen.",
        "nl": "Uw profiel, toestemmingen, bezoeken en wat uw reisboek u toonde worden "
        "definitief gewist, en het adres van dit reisboek werkt niet meer. Dit kan niet "
        "ongedaan worden gemaakt.",
    },
    "erase_confirm": {
        "fr": "Oui, tout effacer maintenant : je comprends que c'est définitif",
        "en": "Yes, erase everything now: I understand it is final",
        "de": "Ja, jetzt alles löschen: Mir ist klar, dass das endgültig ist",
        "nl": "Ja, nu alles wissen: ik begrijp dat dit definitief is",
    },
    "erase_unconfirmed": {
        "fr": "Cochez la case pour confirmer l'effacement.",
        "en": "Tick the box to confirm the erasure.",
        "de": "Kreuzen Sie das Feld an, um das Löschen zu bestätigen.",
        "nl": "Vink het vakje aan om het wissen te bevestigen.",
    },
    "bad_choice": {
        "fr": "Ce choix n'existe pas ; rien n'a été changé.",
        "en": "This choice does not exist; nothing was changed.",
        "de": "Diese Auswahl gibt es nicht; nichts wurde geändert.",
        "nl": "Deze keuze bestaat niet; er is niets gewijzigd.",
    },
    "cross_site": {
        "fr": "Cette demande ne vient pas de votre carnet ; rien n'a été changé.",
        "en": "This request does not come from your roadbook; nothing was changed.",
        "de": "Diese Anfrage kommt nicht aus Ihrem Reisebuch; nichts wurde geändert.",
        "nl": "Dit verzoek komt niet uit uw reisboek; er is niets gewijzigd.",
    },
    "on_device": {
        "fr": "Pour la lecture hors ligne, la dernière version de votre carnet est gardée sur "
        "cet appareil, et nulle part ailleurs ; l'effacement l'en retire aussi.",
        "en": "For offline reading, the last version of your roadbook is kept on this device, "
        "and nowhere else; erasing removes it from there too.",
        "de": "Zum Offline-Lesen bleibt die letzte Fassung Ihres Reisebuchs auf diesem Gerät "
        "gespeichert, und nirgends sonst; das Löschen entfernt sie auch dort.",
        "nl": "Om offline te lezen blijft de laatste versie van uw reisboek op dit apparaat "
        "bewaard, en nergens anders; wissen verwijdert ze ook daar.",
    },
    "back": {
        "fr": "Retour à mon carnet",
        "en": "Back to my roadbook",
        "de": "Zurück zum Reisebuch",
        "nl": "Terug naar mijn reisboek",
    },
    "erased": {
        "fr": "Vos données sont effacées",
        "en": "Your data is erased",
        "de": "Ihre Daten sind gelöscht",
        "nl": "Uw gegevens zijn gewist",
    },
    "erased_text": {
        "fr": "Tout ce que nous gardions sur vous est effacé et l'adresse de votre carnet ne "
        "fonctionne plus. La copie gardée sur cet appareil est retirée aussi.",
        "en": "Everything we held about you is erased and your roadbook's address no longer "
        "works. The copy kept on this device is removed too.",
        "de": "Alles, was wir über Sie gespeichert hatten, ist gelöscht, und die Adresse Ihres "
        "Reisebuchs funktioniert nicht mehr. Die Kopie auf diesem Gerät wird ebenfalls "
        "entfernt.",
        "nl": "Alles wat we over u bewaarden is gewist en het adres van uw reisboek werkt niet "
        "meer. De kopie op dit apparaat wordt ook verwijderd.",
    },
    "short_name": {"fr": "Carnet", "en": "Roadbook", "de": "Reisebuch", "nl": "Reisboek"},
}

# Abbreviated weekdays (Monday first) and months, as each language writes a short date.
WEEKDAYS = {
    "fr": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "de": ("Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."),
    "nl": ("ma", "di", "wo", "do", "vr", "za", "zo"),
}
MONTHS = {
    "fr": (
        "janv.", "févr.", "mars", "avr.", "mai", "juin",
        "juil.", "août", "sept.", "oct.", "nov.", "déc.",
    ),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "de": (
        "Jan.", "Feb.", "März", "Apr.", "Mai", "Juni",
        "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez.",
    ),
    "nl": ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
}  # fmt: skip


def language_of(language: str) -> str:
    """``language`` if the page speaks it, else French (the office's language)."""
    return supported(language)


def text(key: str, language: str, **values: object) -> str:
    """One of the page's words in ``language`` (French when missing), its fields filled in."""
    return translate(TEXTS, key, language_of(language), **values)


def page_texts(language: str) -> dict[str, str]:
    """Every word of the page's frame in ``language`` (fields such as ``{when}`` left unfilled,
    for the page to fill), plus the roadbook's shared ones (``empty``, ``my_data``, ``feed``,
    ``export``)."""
    language = language_of(language)
    words = {key: texts.get(language) or texts["fr"] for key, texts in TEXTS.items()}
    for key in ("empty", "my_data", "feed", "export"):
        words[key] = message(f"page_{key}", language)
    return words


def short_date(day: date, language: str) -> str:
    """``sam. 5 déc.``, ``Sat 5 Dec``, ``Sa. 5. Dez.``, ``za 5 dec``."""
    language = language_of(language)
    weekday, month = WEEKDAYS[language][day.weekday()], MONTHS[language][day.month - 1]
    if language == "de":
        return f"{weekday} {day.day}. {month}"
    return f"{weekday} {day.day} {month}"


def clock(moment: datetime) -> str:
    """``14:05`` (every language of the page writes 24-hour times)."""
    return f"{moment.hour:02d}:{moment.minute:02d}"


def stamp(at: datetime, zone: ZoneInfo, language: str) -> str:
    """An absolute local date and time, ``sam. 5 déc. 15:00`` (for text read again later)."""
    local = at.astimezone(zone)
    return f"{short_date(local.date(), language)} {clock(local)}"


def _day_word(day: date, today: date, language: str) -> str:
    if day == today:
        return text("today", language)
    if day == today + timedelta(days=1):
        return text("tomorrow", language)
    return short_date(day, language)


def moment(at: datetime, now: datetime, zone: ZoneInfo, language: str) -> str:
    """A local date and time relative to ``now``: ``Aujourd'hui 14:05``, ``sam. 5 déc. 09:30``."""
    local, today = at.astimezone(zone), now.astimezone(zone).date()
    return f"{_day_word(local.date(), today, language)} {clock(local)}"


def when(
    planned_at: datetime, until: datetime | None, now: datetime, zone: ZoneInfo, language: str
) -> str:
    """When an item is planned, in local time (ranges with an en dash): ``Maintenant, jusqu'à
    22:00``, ``Aujourd'hui 14:00-16:00``, ``Demain 10:00``, ``sam. 5 déc. 20:30 - dim. 6 déc.
    01:00``. An end at midnight closes the day before: ``Maintenant, jusqu'à minuit``,
    ``Maintenant, jusqu'au sam. 30 janv.``, ``Aujourd'hui 20:00-24:00``."""
    start, today = planned_at.astimezone(zone), now.astimezone(zone).date()
    end = until.astimezone(zone) if until is not None else None
    midnight = end is not None and (end.hour, end.minute) == (0, 0)
    if planned_at <= now:
        head = text("now", language)
        if end is None:
            return head
        if midnight:
            last_day = end.date() - timedelta(days=1)
            if last_day <= today:
                return f"{head}, {text('until_midnight', language)}"
            return f"{head}, {text('until_day', language, when=short_date(last_day, language))}"
        shown = (
            clock(end)
            if end.date() == today
            else f"{short_date(end.date(), language)} {clock(end)}"
        )
        return f"{head}, {text('until', language, when=shown)}"
    head = f"{_day_word(start.date(), today, language)} {clock(start)}"
    if end is None:
        return head
    if end.date() == start.date():
        return f"{head}{DASH}{clock(end)}"
    if midnight and end.date() - timedelta(days=1) == start.date():
        return f"{head}{DASH}24:00"
    return f"{head} {DASH} {_day_word(end.date(), today, language)} {clock(end)}"


def visit_when(
    first: datetime, last: datetime, is_open: bool, now: datetime, zone: ZoneInfo, language: str
) -> str:
    """A visit's local times: ``Aujourd'hui 14:05-14:40``, ``Aujourd'hui 14:05, vous y êtes``."""
    head = moment(first, now, zone, language)
    if is_open:
        return f"{head}, {text('here_now', language)}"
    end = last.astimezone(zone)
    if end.date() == first.astimezone(zone).date():
        return f"{head}{DASH}{clock(end)}"
    return f"{head} {DASH} {moment(last, now, zone, language)}"
