"""The catalogue pages' words in fr, en, de and nl (over the words all office
pages share, crm.office.texts.PAGE_WORDS)."""

from __future__ import annotations

from crm.office.texts import DAY_NAMES, PageTexts

# key: (fr, en, de, nl)
_WORDS: dict[str, tuple[str, str, str, str]] = {
    "catalogue": ("Catalogue", "Catalogue", "Katalog", "Catalogus"),
    "intro": (
        "Les lieux, événements et circuits que le carnet de route propose.",
        "The places, events and tours the roadbook offers.",
        "Die Orte, Veranstaltungen und Touren, die das Reisebuch anbietet.",
        "De plekken, evenementen en routes die het reisboek aanbiedt.",
    ),
    "search": ("Rechercher", "Search", "Suchen", "Zoeken"),
    "kind": ("Type", "Kind", "Art", "Soort"),
    "kind_place": ("Lieu", "Place", "Ort", "Plek"),
    "kind_event": ("Événement", "Event", "Veranstaltung", "Evenement"),
    "kind_tour": ("Circuit", "Tour", "Tour", "Route"),
    "wish": ("Envie", "Wish", "Wunsch", "Wens"),
    "wishes": ("Envies", "Wishes", "Wünsche", "Wensen"),
    "missing": ("Langue manquante", "Missing language", "Fehlende Sprache", "Ontbrekende taal"),
    "source": ("Source", "Source", "Quelle", "Bron"),
    "source_office": ("Office", "Office", "Büro", "Kantoor"),
    "source_datatourisme": ("DATAtourisme", "DATAtourisme", "DATAtourisme", "DATAtourisme"),
    "count": ("{n} élément(s)", "{n} item(s)", "{n} Einträge", "{n} item(s)"),
    "none": (
        "Aucun élément ne correspond.",
        "No item matches.",
        "Kein Eintrag passt.",
        "Geen item komt overeen.",
    ),
    "new": ("Nouvel élément", "New item", "Neuer Eintrag", "Nieuw item"),
    "edit": ("Modifier", "Edit", "Bearbeiten", "Bewerken"),
    "languages": ("Langues", "Languages", "Sprachen", "Talen"),
    "st_published": ("Publié", "Published", "Veröffentlicht", "Gepubliceerd"),
    "st_unpublished": ("Dépublié", "Unpublished", "Nicht veröffentlicht", "Niet gepubliceerd"),
    "st_scheduled": ("Programmé", "Scheduled", "Geplant", "Gepland"),
    "st_expired": ("Expiré", "Expired", "Abgelaufen", "Verlopen"),
    "summary": ("Résumé", "Summary", "Kurzbeschreibung", "Samenvatting"),
    "description": ("Description", "Description", "Beschreibung", "Beschrijving"),
    "subtype": ("Catégorie", "Category", "Kategorie", "Categorie"),
    "slug": ("Identifiant (URL)", "Identifier (URL)", "Kennung (URL)", "Code (URL)"),
    "slug_hint": (
        "Lettres minuscules, chiffres et tirets ; vide : tiré du titre.",
        "Lower-case letters, digits and hyphens; empty: made from the title.",
        "Kleinbuchstaben, Ziffern und Bindestriche; leer: aus dem Titel.",
        "Kleine letters, cijfers en koppeltekens; leeg: uit de titel.",
    ),
    "where": ("Position", "Location", "Lage", "Locatie"),
    "latitude": (
        "Latitude (WGS 84)",
        "Latitude (WGS 84)",
        "Breitengrad (WGS 84)",
        "Breedtegraad (WGS 84)",
    ),
    "longitude": (
        "Longitude (WGS 84)",
        "Longitude (WGS 84)",
        "Längengrad (WGS 84)",
        "Lengtegraad (WGS 84)",
    ),
    "coords_hint": (
        "En degrés décimaux, par exemple 49.2567 et 6.1183.",
        "In decimal degrees, for example 49.2567 and 6.1183.",
        "In Dezimalgrad, zum Beispiel 49.2567 und 6.1183.",
        "In decimale graden, bijvoorbeeld 49.2567 en 6.1183.",
    ),
    "hours": ("Horaires d'ouverture", "Opening hours", "Öffnungszeiten", "Openingstijden"),
    "hours_hint": (
        "Une ligne par règle ; plusieurs créneaux le même jour : plusieurs lignes. Une ligne "
        "« fermé » est une exception (25 décembre). Videz une ligne pour la retirer.",
        "One line per rule; several time slots on one day: several lines. A “closed” line is "
        "an exception (25 December). Empty a line to remove it.",
        "Eine Zeile pro Regel; mehrere Zeitfenster an einem Tag: mehrere Zeilen. Eine "
        "„geschlossen“-Zeile ist eine Ausnahme (25. Dezember). Leeren Sie eine Zeile, um sie "
        "zu entfernen.",
        "Eén regel per afspraak; meerdere tijdvakken op een dag: meerdere regels. Een regel "
        "„gesloten” is een uitzondering (25 december). Maak een regel leeg om hem te wissen.",
    ),
    "rule": ("Règle {n}", "Rule {n}", "Regel {n}", "Regel {n}"),
    "valid_from": ("Valable du", "Valid from", "Gültig ab", "Geldig vanaf"),
    "valid_until": ("au", "until", "bis", "tot"),
    "opens": ("Ouvre à", "Opens", "Öffnet", "Opent"),
    "closes": ("Ferme à", "Closes", "Schließt", "Sluit"),
    "closed": (
        "Fermé (exception)",
        "Closed (exception)",
        "Geschlossen (Ausnahme)",
        "Gesloten (uitzondering)",
    ),
    "annual": ("Chaque année", "Every year", "Jedes Jahr", "Elk jaar"),
    "add_rule": ("Ajouter une règle", "Add a rule", "Regel hinzufügen", "Regel toevoegen"),
    "hours_remark": (
        "Remarque sur les horaires",
        "Remark on the hours",
        "Hinweis zu den Öffnungszeiten",
        "Opmerking over de openingstijden",
    ),
    "periods": ("Dates de l'événement", "Event dates", "Termine", "Data van het evenement"),
    "periods_hint": (
        "Une ligne par période ; sans heures : toute la journée ; des jours cochés : ces jours-là "
        "seulement. Videz une ligne pour la retirer.",
        "One line per period; without times: all day; days ticked: only on those days. Empty "
        "a line to remove it.",
        "Eine Zeile pro Zeitraum; ohne Uhrzeiten: ganztägig; mit Tagen: nur an diesen Tagen. "
        "Leeren Sie eine Zeile, um sie zu entfernen.",
        "Eén regel per periode; zonder tijden: de hele dag; met dagen: alleen op die dagen. "
        "Maak een regel leeg om hem te wissen.",
    ),
    "period": ("Période {n}", "Period {n}", "Zeitraum {n}", "Periode {n}"),
    "start": ("Du", "From", "Vom", "Van"),
    "end": (
        "Au (vide : le même jour)",
        "To (empty: the same day)",
        "Bis (leer: derselbe Tag)",
        "Tot (leeg: dezelfde dag)",
    ),
    "start_time": ("De", "Starts", "Beginn", "Begint"),
    "end_time": ("À", "Ends", "Ende", "Eindigt"),
    "days_only": (
        "Jours (aucun : chaque jour)",
        "Days (none: every day)",
        "Tage (keiner: jeden Tag)",
        "Dagen (geen: elke dag)",
    ),
    "publication": ("Publication", "Publishing", "Veröffentlichung", "Publicatie"),
    "published": ("Publié", "Published", "Veröffentlicht", "Gepubliceerd"),
    "published_from": (
        "Publié à partir du",
        "Published from",
        "Veröffentlicht ab",
        "Gepubliceerd vanaf",
    ),
    "published_until": (
        "Publié jusqu'au",
        "Published until",
        "Veröffentlicht bis",
        "Gepubliceerd tot",
    ),
    "unpublish": ("Dépublier", "Unpublish", "Veröffentlichung zurückziehen", "Depubliceren"),
    "publish": ("Publier", "Publish", "Veröffentlichen", "Publiceren"),
    "created": ("Élément créé.", "Item created.", "Eintrag angelegt.", "Item aangemaakt."),
    "now_unpublished": (
        "L'élément n'est plus publié.",
        "The item is no longer published.",
        "Der Eintrag ist nicht mehr veröffentlicht.",
        "Het item is niet meer gepubliceerd.",
    ),
    "now_published": (
        "L'élément est publié.",
        "The item is published.",
        "Der Eintrag ist veröffentlicht.",
        "Het item is gepubliceerd.",
    ),
    "reverted": (
        "« {field} » reprend la valeur du flux.",
        "“{field}” is back to the flux.",
        "„{field}“ übernimmt wieder den Wert des Flusses.",
        "„{field}” neemt weer de waarde van de flux over.",
    ),
    "imported": (
        "Importé de DATAtourisme : vos modifications sont gardées à part, champ par champ, et "
        "survivent aux imports suivants.",
        "Imported from DATAtourisme: your changes are kept apart, field by field, and survive "
        "later imports.",
        "Aus DATAtourisme importiert: Ihre Änderungen werden Feld für Feld getrennt gespeichert "
        "und überstehen spätere Importe.",
        "Geïmporteerd uit DATAtourisme: uw wijzigingen worden per veld apart bewaard en blijven "
        "na latere imports bestaan.",
    ),
    "flux_says": ("Le flux dit :", "The flux says:", "Der Fluss sagt:", "De flux zegt:"),
    "flux_empty": ("(vide)", "(empty)", "(leer)", "(leeg)"),
    "revert": ("Revenir au flux", "Revert to the flux", "Zurück zum Fluss", "Terug naar de flux"),
    "back": (
        "Retour au catalogue",
        "Back to the catalogue",
        "Zurück zum Katalog",
        "Terug naar de catalogus",
    ),
    "not_found": (
        "Cet élément n'existe pas.",
        "There is no such item.",
        "Diesen Eintrag gibt es nicht.",
        "Dit item bestaat niet.",
    ),
    # Validation messages, shown next to their field.
    "e_number": (
        "Un nombre, par exemple {example}.",
        "A number, for example {example}.",
        "Eine Zahl, zum Beispiel {example}.",
        "Een getal, bijvoorbeeld {example}.",
    ),
    "e_latitude": (
        "Une latitude est entre -90 et 90.",
        "A latitude is between -90 and 90.",
        "Ein Breitengrad liegt zwischen -90 und 90.",
        "Een breedtegraad ligt tussen -90 en 90.",
    ),
    "e_longitude": (
        "Une longitude est entre -180 et 180.",
        "A longitude is between -180 and 180.",
        "Ein Längengrad liegt zwischen -180 und 180.",
        "Een lengtegraad ligt tussen -180 en 180.",
    ),
    "e_pair": (
        "Donnez la latitude et la longitude, ou aucune.",
        "Give both latitude and longitude, or neither.",
        "Geben Sie Breiten- und Längengrad an, oder keinen.",
        "Geef breedte- en lengtegraad, of geen van beide.",
    ),
    "e_date": (
        "Une date AAAA-MM-JJ.",
        "A date YYYY-MM-DD.",
        "Ein Datum JJJJ-MM-TT.",
        "Een datum JJJJ-MM-DD.",
    ),
    "e_slug": (
        "Lettres minuscules, chiffres et tirets.",
        "Lower-case letters, digits, hyphens.",
        "Kleinbuchstaben, Ziffern und Bindestriche.",
        "Kleine letters, cijfers, koppeltekens.",
    ),
    "e_slug_taken": (
        "Cet identifiant est déjà pris.",
        "This identifier is already taken.",
        "Diese Kennung ist schon vergeben.",
        "Deze code is al in gebruik.",
    ),
}

TEXTS = PageTexts(_WORDS)
WORDS = TEXTS.table
word = TEXTS.word  # word(key, language, **values): a word of the catalogue pages in ``language``
words = TEXTS.words  # words(language): every word without fields, for templates (``w.title``)
__all__ = ["DAY_NAMES", "TEXTS", "WORDS", "word", "words"]
