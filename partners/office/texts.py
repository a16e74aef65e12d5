"""The offer pages' words in fr, en, de and nl (over the words all office pages
share, crm.office.texts.PAGE_WORDS)."""

from __future__ import annotations

from crm.office.texts import PageTexts

# key: (fr, en, de, nl)
_WORDS: dict[str, tuple[str, str, str, str]] = {
    "offers": ("Offres", "Offers", "Angebote", "Aanbiedingen"),
    "intro": (
        "Les offres des partenaires que le carnet de route propose aux visiteurs.",
        "The partners' offers the roadbook proposes to visitors.",
        "Die Angebote der Partner, die das Reisebuch den Besuchern vorschlägt.",
        "De aanbiedingen van partners die het reisboek aan bezoekers voorstelt.",
    ),
    "new": ("Nouvelle offre", "New offer", "Neues Angebot", "Nieuw aanbod"),
    "edit": ("Modifier l'offre", "Edit the offer", "Angebot bearbeiten", "Aanbod bewerken"),
    "partner": ("Partenaire", "Partner", "Partner", "Partner"),
    "st_draft": ("Brouillon", "Draft", "Entwurf", "Concept"),
    "st_submitted": ("Soumise", "Submitted", "Eingereicht", "Ingediend"),
    "st_approved": ("Approuvée", "Approved", "Freigegeben", "Goedgekeurd"),
    "st_paused": ("En pause", "Paused", "Pausiert", "Gepauzeerd"),
    "st_ended": ("Terminée", "Ended", "Beendet", "Beëindigd"),
    "count": ("{n} offre(s)", "{n} offer(s)", "{n} Angebot(e)", "{n} aanbieding(en)"),
    "none": (
        "Aucune offre ne correspond.",
        "No offer matches.",
        "Kein Angebot passt.",
        "Geen aanbod komt overeen.",
    ),
    "summary": ("Texte", "Text", "Text", "Tekst"),
    "validity": ("Validité", "Validity", "Gültigkeit", "Geldigheid"),
    "valid_from": ("Valable à partir du", "Valid from", "Gültig ab", "Geldig vanaf"),
    "valid_until": ("Valable jusqu'au", "Valid until", "Gültig bis", "Geldig tot"),
    "redemptions": ("Utilisations", "Redemptions", "Einlösungen", "Inwisselingen"),
    "used_of": (
        "{used} sur {quota}",
        "{used} of {quota}",
        "{used} von {quota}",
        "{used} van {quota}",
    ),
    "where": ("Où", "Where", "Wo", "Waar"),
    "sites": (
        "Sites (aucun : tous les sites du partenaire)",
        "Sites (none: all the partner's sites)",
        "Standorte (keiner: alle des Partners)",
        "Locaties (geen: alle locaties van de partner)",
    ),
    "no_sites": (
        "Ce partenaire n'a pas de site.",
        "This partner has no site.",
        "Dieser Partner hat keinen Standort.",
        "Deze partner heeft geen locatie.",
    ),
    "url": (
        "Page de l'offre chez le partenaire (https)",
        "The offer's page on the partner's site (https)",
        "Seite des Angebots beim Partner (https)",
        "Pagina van het aanbod bij de partner (https)",
    ),
    "schedule": (
        "Horaires de l'offre",
        "When it runs",
        "Zeiten des Angebots",
        "Tijden van het aanbod",
    ),
    "schedule_hint": (
        "Une ligne par créneau hebdomadaire ; aucune ligne : pendant toute la validité. Videz "
        "une ligne pour la retirer.",
        "One line per weekly time slot; no line: for the whole validity. Empty a line to "
        "remove it.",
        "Eine Zeile pro wöchentlichem Zeitfenster; keine Zeile: während der ganzen Gültigkeit. "
        "Leeren Sie eine Zeile, um sie zu entfernen.",
        "Eén regel per wekelijks tijdvak; geen regel: de hele geldigheid. Maak een regel leeg "
        "om hem te wissen.",
    ),
    "slot": ("Créneau {n}", "Slot {n}", "Zeitfenster {n}", "Tijdvak {n}"),
    "opens": ("De", "From", "Von", "Van"),
    "closes": ("À", "To", "Bis", "Tot"),
    "add_slot": ("Ajouter un créneau", "Add a slot", "Zeitfenster hinzufügen", "Tijdvak toevoegen"),
    "targeting": ("Pour qui", "For whom", "Für wen", "Voor wie"),
    "wishes": (
        "Envies (aucune : tout le monde)",
        "Wishes (none: everyone)",
        "Wünsche (keiner: alle)",
        "Wensen (geen: iedereen)",
    ),
    "children": ("Enfants", "Children", "Kinder", "Kinderen"),
    "children_any": ("Tout le monde", "Anyone", "Alle", "Iedereen"),
    "children_yes": (
        "Groupes avec enfants",
        "Parties with children",
        "Gruppen mit Kindern",
        "Gezelschappen met kinderen",
    ),
    "children_no": (
        "Groupes sans enfants",
        "Parties without children",
        "Gruppen ohne Kinder",
        "Gezelschappen zonder kinderen",
    ),
    "languages": (
        "Langues du visiteur (aucune : toutes)",
        "Visitor's languages (none: all)",
        "Sprachen des Besuchers (keine: alle)",
        "Talen van de bezoeker (geen: alle)",
    ),
    "trigger": ("Quand la montrer", "When to show it", "Wann zeigen", "Wanneer tonen"),
    "trigger_at_site": (
        "Sur un de ses sites",
        "At one of its sites",
        "An einem seiner Standorte",
        "Op een van zijn locaties",
    ),
    "trigger_nearby": (
        "Près d'un de ses sites",
        "Near one of its sites",
        "In der Nähe eines seiner Standorte",
        "In de buurt van een van zijn locaties",
    ),
    "trigger_anywhere": (
        "Partout dans la destination",
        "Anywhere in the destination",
        "Überall am Reiseziel",
        "Overal in de bestemming",
    ),
    "caps": (
        "Plafonds par visiteur",
        "Caps per visitor",
        "Obergrenzen pro Besucher",
        "Limieten per bezoeker",
    ),
    "caps_hint": (
        "Vide : sans plafond.",
        "Empty: no cap.",
        "Leer: keine Obergrenze.",
        "Leeg: geen limiet.",
    ),
    "cap_per_day": (
        "Affichages par jour",
        "Showings a day",
        "Anzeigen pro Tag",
        "Vertoningen per dag",
    ),
    "cap_total": (
        "Affichages en tout",
        "Showings in all",
        "Anzeigen insgesamt",
        "Vertoningen in totaal",
    ),
    "cap_min_interval_min": (
        "Minutes entre deux affichages",
        "Minutes between two showings",
        "Minuten zwischen zwei Anzeigen",
        "Minuten tussen twee vertoningen",
    ),
    "redemption": ("Utilisation", "Redemption", "Einlösung", "Inwisseling"),
    "quota": (
        "Utilisations en tout (vide : sans limite)",
        "Redemptions in all (empty: no limit)",
        "Einlösungen insgesamt (leer: unbegrenzt)",
        "Inwisselingen in totaal (leeg: onbeperkt)",
    ),
    "redemption_kind": (
        "Comment l'utiliser",
        "How it is redeemed",
        "Wie es eingelöst wird",
        "Hoe het wordt ingewisseld",
    ),
    "kind_code": ("Code à donner", "A code to give", "Ein Code zum Nennen", "Een code om te geven"),
    "kind_qr": (
        "QR code à scanner",
        "A QR code to scan",
        "Ein QR-Code zum Scannen",
        "Een QR-code om te scannen",
    ),
    "kind_screen": (
        "Écran à montrer",
        "A screen to show",
        "Ein Bildschirm zum Zeigen",
        "Een scherm om te tonen",
    ),
    "boost": (
        "Poids éditorial (0 à 1)",
        "Editorial weight (0 to 1)",
        "Redaktionelles Gewicht (0 bis 1)",
        "Redactioneel gewicht (0 tot 1)",
    ),
    "boost_hint": (
        "0 : aucun coup de pouce ; 1 : le plus fort.",
        "0: no push; 1: the strongest.",
        "0: kein Schub; 1: der stärkste.",
        "0: geen duwtje; 1: het sterkste.",
    ),
    "actions": ("Changer l'état", "Change the status", "Status ändern", "Status wijzigen"),
    "act_submit": ("Soumettre", "Submit", "Einreichen", "Indienen"),
    "act_approve": ("Approuver", "Approve", "Freigeben", "Goedkeuren"),
    "act_return": (
        "Renvoyer en brouillon",
        "Send back to draft",
        "Zurück zum Entwurf",
        "Terug naar concept",
    ),
    "act_pause": ("Mettre en pause", "Pause", "Pausieren", "Pauzeren"),
    "act_resume": ("Reprendre", "Resume", "Fortsetzen", "Hervatten"),
    "act_end": ("Terminer", "End", "Beenden", "Beëindigen"),
    "end_hint": (
        "Une offre terminée ne peut plus être modifiée ni reprise.",
        "An ended offer can no longer be changed or resumed.",
        "Ein beendetes Angebot kann nicht mehr geändert oder fortgesetzt werden.",
        "Een beëindigd aanbod kan niet meer worden gewijzigd of hervat.",
    ),
    "done_submit": (
        "Offre soumise.",
        "Offer submitted.",
        "Angebot eingereicht.",
        "Aanbod ingediend.",
    ),
    "done_approve": (
        "Offre approuvée.",
        "Offer approved.",
        "Angebot freigegeben.",
        "Aanbod goedgekeurd.",
    ),
    "done_return": (
        "Offre renvoyée en brouillon.",
        "Offer sent back to draft.",
        "Angebot zurück im Entwurf.",
        "Aanbod terug naar concept.",
    ),
    "done_pause": ("Offre en pause.", "Offer paused.", "Angebot pausiert.", "Aanbod gepauzeerd."),
    "done_resume": ("Offre reprise.", "Offer resumed.", "Angebot fortgesetzt.", "Aanbod hervat."),
    "done_end": ("Offre terminée.", "Offer ended.", "Angebot beendet.", "Aanbod beëindigd."),
    "created": (
        "Offre créée (brouillon).",
        "Offer created (draft).",
        "Angebot angelegt (Entwurf).",
        "Aanbod aangemaakt (concept).",
    ),
    "refused_move": (
        "Ce changement d'état n'est pas possible depuis « {status} ».",
        "This change of status is not possible from “{status}”.",
        "Dieser Statuswechsel ist von „{status}“ aus nicht möglich.",
        "Deze statuswijziging is niet mogelijk vanuit „{status}”.",
    ),
    "back": (
        "Retour aux offres",
        "Back to the offers",
        "Zurück zu den Angeboten",
        "Terug naar de aanbiedingen",
    ),
    "not_found": (
        "Cette offre n'existe pas.",
        "There is no such offer.",
        "Dieses Angebot gibt es nicht.",
        "Dit aanbod bestaat niet.",
    ),
    # Validation messages, shown next to their field.
    "e_required": (
        "Ce champ est requis.",
        "This field is required.",
        "Dieses Feld ist erforderlich.",
        "Dit veld is verplicht.",
    ),
    "e_partner": (
        "Choisissez un partenaire de la destination.",
        "Pick one of the destination's partners.",
        "Wählen Sie einen Partner des Reiseziels.",
        "Kies een partner van de bestemming.",
    ),
    "e_site": (
        "Choisissez des sites de ce partenaire.",
        "Pick sites of this partner.",
        "Wählen Sie Standorte dieses Partners.",
        "Kies locaties van deze partner.",
    ),
    "e_no_site": (
        "Ce partenaire n'a aucun site : choisissez « partout ».",
        "This partner has no site: pick “anywhere”.",
        "Dieser Partner hat keinen Standort: wählen Sie „überall“.",
        "Deze partner heeft geen locatie: kies „overal”.",
    ),
    "e_count": (
        "Un nombre entier de 0 à {max}, ou vide.",
        "A whole number from 0 to {max}, or empty.",
        "Eine ganze Zahl von 0 bis {max}, oder leer.",
        "Een geheel getal van 0 tot {max}, of leeg.",
    ),
    "e_boost": (
        "Un nombre de 0 à 1, par exemple 0.25.",
        "A number from 0 to 1, for example 0.25.",
        "Eine Zahl von 0 bis 1, zum Beispiel 0.25.",
        "Een getal van 0 tot 1, bijvoorbeeld 0.25.",
    ),
    "e_ended": (
        "Cette offre est terminée : elle ne peut plus être modifiée.",
        "This offer has ended: it can no longer be changed.",
        "Dieses Angebot ist beendet: Es kann nicht mehr geändert werden.",
        "Dit aanbod is beëindigd: het kan niet meer worden gewijzigd.",
    ),
}

TEXTS = PageTexts(_WORDS)
WORDS = TEXTS.table
word = TEXTS.word  # word(key, language, **values): a word of the offer pages in ``language``
words = TEXTS.words  # words(language): every word without fields, for templates (``w.title``)
