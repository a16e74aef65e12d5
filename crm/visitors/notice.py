"""The enrolment notice: what a visitor is told before consenting, in fr / en / de / nl, versioned.

Every consent in the ledger records the ``notice_version`` the visitor was shown, so a version's
wording must never change once published: to change the text, add a new version to ``NOTICES``
and point ``CURRENT_VERSION`` at it (older versions stay, for the ledger entries that cite them).
The retention periods are filled in from the settings; changing those settings calls for a new
version too.

docs/architecture.md: a static Eddystone-UID pass can be followed by anyone's scanner, and the
notice
says so (``uid_warning``); rotating EID passes are the default.
"""

from __future__ import annotations

from dataclasses import dataclass

CURRENT_VERSION = "2026-11"


@dataclass(frozen=True, slots=True)
class NoticeText:
    """One language of one version of the notice; ``{retention_days}`` and ``{inactivity_years}``
    are filled in by ``render``."""

    title: str
    summary: str
    scopes: dict[str, str]
    uid_warning: str
    rights: str
    retention: str


@dataclass(frozen=True, slots=True)
class Notice(NoticeText):
    """The notice as shown to a visitor: the texts filled in, with their version and language."""

    version: str
    language: str

    @property
    def text(self) -> str:
        """The whole notice as plain text (what a desk printout or a QR page shows)."""
        scopes = "\n".join(f"- {scope}: {text}" for scope, text in self.scopes.items())
        return "\n\n".join(
            (self.title, self.summary, scopes, self.uid_warning, self.retention, self.rights)
        )


NOTICES: dict[str, dict[str, NoticeText]] = {
    "2026-11": {
        "fr": NoticeText(
            title="Votre carnet de route Balise : vos données et vos choix",
            summary=(
                "L'office de tourisme (responsable du traitement) vous propose un carnet de "
                "route personnalisé. Nous n'avons besoin ni de votre nom ni de votre e-mail : "
                "votre profil est identifié par un numéro pseudonyme. Chaque usage ci-dessous "
                "demande votre accord séparé ; refuser ne vous prive pas du carnet."
            ),
            scopes={
                "proximity": (
                    "enregistrer le passage de votre pass près des bornes des sites partenaires "
                    "(entrée, durée, sortie) pour retracer vos visites."
                ),
                "personalisation": (
                    "choisir les lieux, événements et offres de votre carnet selon vos envies, "
                    "votre séjour et vos visites."
                ),
                "marketing": (
                    "vous envoyer des offres des partenaires de la destination ; les partenaires "
                    "ne voient jamais qui vous êtes, seulement des chiffres agrégés."
                ),
            },
            uid_warning=(
                "Attention : un pass à identifiant fixe (Eddystone-UID, cartes et bracelets "
                "existants) émet toujours le même identifiant, que n'importe quel scanner "
                "Bluetooth à proximité peut capter et suivre, pas seulement nos bornes. Les "
                "pass à identifiant tournant (Eddystone-EID), proposés par défaut, ne peuvent "
                "être reconnus que par l'office de tourisme."
            ),
            retention=(
                "Les passages détaillés sont conservés jusqu'à {retention_days} jours après la "
                "fin de votre séjour (après le passage lui-même si la date de séjour est "
                "inconnue), puis réduits à des comptages anonymes. Votre profil est supprimé "
                "après {inactivity_years} ans sans action de votre part."
            ),
            rights=(
                "Depuis votre carnet (ou à l'accueil), vous pouvez à tout moment retirer un "
                "accord aussi simplement que vous l'avez donné, télécharger toutes vos données "
                "(JSON) et les effacer définitivement. Le retrait prend effet dès le lot "
                "suivant de données reçu des bornes."
            ),
        ),
        "en": NoticeText(
            title="Your Balise roadbook: your data and your choices",
            summary=(
                "The tourist office (the data controller) offers you a personalised roadbook. "
                "We need neither your name nor your e-mail: your profile is identified by a "
                "pseudonymous number. Each use below needs your separate consent; saying no "
                "does not take the roadbook away from you."
            ),
            scopes={
                "proximity": (
                    "record when your pass comes near the beacons of partner sites (enter, "
                    "time spent, exit) to trace your visits."
                ),
                "personalisation": (
                    "choose the places, events and offers of your roadbook from your wishes, "
                    "your stay and your visits."
                ),
                "marketing": (
                    "send you offers from the destination's partners; partners never see who "
                    "you are, only aggregate figures."
                ),
            },
            uid_warning=(
                "Warning: a pass with a fixed identifier (Eddystone-UID, existing cards and "
                "wristbands) always broadcasts the same identifier, which anyone's Bluetooth "
                "scanner nearby can pick up and follow, not only our beacons. Passes with a "
                "rotating identifier (Eddystone-EID), offered by default, can only be "
                "recognised by the tourist office."
            ),
            retention=(
                "Detailed sightings are kept until {retention_days} days after your stay ends "
                "(after the sighting itself when your stay dates are unknown), then reduced to "
                "anonymous counts. Your profile is deleted after {inactivity_years} years "
                "without any action of yours."
            ),
            rights=(
                "From your roadbook (or at the desk) you can at any time withdraw a consent as "
                "easily as you gave it, download all your data (JSON) and erase it for good. A "
                "withdrawal takes effect from the next batch of data the beacons send."
            ),
        ),
        "de": NoticeText(
            title="Ihr Balise-Reisebuch: Ihre Daten und Ihre Wahl",
            summary=(
                "Das Fremdenverkehrsamt (der Verantwortliche) bietet Ihnen ein persönliches "
                "Reisebuch an. Wir brauchen weder Ihren Namen noch Ihre E-Mail-Adresse: Ihr "
                "Profil trägt nur eine pseudonyme Nummer. Jede der folgenden Nutzungen braucht "
                "Ihre eigene Einwilligung; wer ablehnt, behält sein Reisebuch."
            ),
            scopes={
                "proximity": (
                    "erfassen, wann Ihr Pass in die Nähe der Baken der Partnerorte kommt "
                    "(Ankunft, Aufenthaltsdauer, Abgang), um Ihre Besuche nachzuzeichnen."
                ),
                "personalisation": (
                    "Orte, Veranstaltungen und Angebote Ihres Reisebuchs nach Ihren Wünschen, "
                    "Ihrem Aufenthalt und Ihren Besuchen auswählen."
                ),
                "marketing": (
                    "Ihnen Angebote der Partner der Destination senden; Partner sehen nie, wer "
                    "Sie sind, nur zusammengefasste Zahlen."
                ),
            },
            uid_warning=(
                "Achtung: Ein Pass mit fester Kennung (Eddystone-UID, vorhandene Karten und "
                "Armbänder) sendet immer dieselbe Kennung, die jeder Bluetooth-Scanner in der "
                "Nähe empfangen und verfolgen kann, nicht nur unsere Baken. Pässe mit "
                "wechselnder Kennung (Eddystone-EID), standardmäßig angeboten, kann nur das "
                "Fremdenverkehrsamt erkennen."
            ),
            retention=(
                "Einzelne Erfassungen werden bis {retention_days} Tage nach dem Ende Ihres "
                "Aufenthalts aufbewahrt (nach der Erfassung selbst, wenn Ihre Reisedaten "
                "unbekannt sind) und dann zu anonymen Zählungen verdichtet. Ihr Profil wird "
                "nach {inactivity_years} Jahren ohne eine Aktion von Ihnen gelöscht."
            ),
            rights=(
                "In Ihrem Reisebuch (oder am Empfang) können Sie jederzeit eine Einwilligung "
                "so einfach widerrufen, wie Sie sie gegeben haben, alle Ihre Daten (JSON) "
                "herunterladen und endgültig löschen. Ein Widerruf wirkt ab dem nächsten "
                "Datenpaket der Baken."
            ),
        ),
        "nl": NoticeText(
            title="Uw Balise-reisboek: uw gegevens en uw keuzes",
            summary=(
                "Het toeristenbureau (de verwerkingsverantwoordelijke) biedt u een persoonlijk "
                "reisboek aan. Wij hebben uw naam en e-mailadres niet nodig: uw profiel heeft "
                "alleen een pseudoniem nummer. Voor elk gebruik hieronder is uw afzonderlijke "
                "toestemming nodig; wie weigert, houdt zijn reisboek."
            ),
            scopes={
                "proximity": (
                    "vastleggen wanneer uw pas in de buurt komt van de bakens van partnerlocaties "
                    "(aankomst, verblijfsduur, vertrek) om uw bezoeken te volgen."
                ),
                "personalisation": (
                    "de plaatsen, evenementen en aanbiedingen van uw reisboek kiezen op basis "
                    "van uw wensen, uw verblijf en uw bezoeken."
                ),
                "marketing": (
                    "u aanbiedingen van partners van de bestemming sturen; partners zien nooit "
                    "wie u bent, alleen samengevoegde cijfers."
                ),
            },
            uid_warning=(
                "Let op: een pas met een vaste identificatie (Eddystone-UID, bestaande kaarten "
                "en polsbandjes) zendt altijd dezelfde identificatie uit, die elke "
                "Bluetooth-scanner in de buurt kan opvangen en volgen, niet alleen onze bakens. "
                "Passen met een wisselende identificatie (Eddystone-EID), standaard "
                "aangeboden, kan alleen het toeristenbureau herkennen."
            ),
            retention=(
                "Afzonderlijke waarnemingen worden bewaard tot {retention_days} dagen na het "
                "einde van uw verblijf (na de waarneming zelf als uw verblijfsdata onbekend "
                "zijn) en daarna teruggebracht tot anonieme tellingen. Uw profiel wordt "
                "verwijderd na {inactivity_years} jaar zonder enige actie van uw kant."
            ),
            rights=(
                "Vanuit uw reisboek (of bij de balie) kunt u op elk moment een toestemming even "
                "eenvoudig intrekken als u die gaf, al uw gegevens (JSON) downloaden en "
                "definitief wissen. Een intrekking geldt vanaf de volgende gegevenszending van "
                "de bakens."
            ),
        ),
    },
}


def is_known(version: str) -> bool:
    """Whether ``version`` is a published notice version."""
    return version in NOTICES


def render(
    language: str,
    version: str = CURRENT_VERSION,
    *,
    retention_days: int = 30,
    inactivity_days: int = 3 * 365,
) -> Notice:
    """The notice of ``version`` in ``language`` (French when the language is not offered)."""
    texts = NOTICES[version]
    if language not in texts:
        language = "fr"
    text = texts[language]
    values = {
        "retention_days": retention_days,
        "inactivity_years": max(1, round(inactivity_days / 365)),
    }
    return Notice(
        version=version,
        language=language,
        title=text.title,
        summary=text.summary,
        scopes=dict(text.scopes),
        uid_warning=text.uid_warning,
        rights=text.rights,
        retention=text.retention.format(**values),
    )
