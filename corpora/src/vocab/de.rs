//! German resources.

use super::LangData;

pub(super) const DATA: LangData = LangData {
    words: "der die und in den von zu das mit sich des auf für ist im dem nicht ein eine als auch \
        es an werden aus er hat dass sie nach wird bei einer um am sind noch wie einem über einen \
        so zum war haben nur oder aber vor zur bis mehr durch man sein wurde sei hier wir ich Sie \
        Ihnen uns bitte danke schon heute morgen gestern Woche Montag Freitag Termin Besprechung \
        Bericht Projekt Kunde Rechnung Angebot Vertrag Änderung Fehler Problem Lösung Frage \
        Antwort Entwurf Übersicht Zusammenfassung Ergebnis Prüfung Größe Straße Grüße Gruß Büro \
        Mitarbeiter Abteilung Geschäftsführung Unterlagen Anhang Datei Server Zugang Passwort \
        Benutzer Daten Datenbank Sicherung Aktualisierung Version Veröffentlichung Treiber Gerät \
        Speicher Schnittstelle Leistung Messung schnell langsam groß klein neu alt gut schlecht \
        wichtig dringend möglich nötig müssen können sollen dürfen möchten würden hätten wäre \
        könnte sollte müsste fertig erledigt offen geschlossen gemeinsam zusammen während wegen \
        trotz ohne gegen zwischen unter hinter neben vielleicht natürlich eigentlich leider \
        gerne sicher genau ungefähr ziemlich wirklich bereits später früher zurück weiter oben \
        unten heißt weiß Fußball Frühstück Mittagessen Abendessen Urlaub Reise Flug Hotel Bahn \
        Zug Fahrrad Auto München Berlin Köln Hamburg Zürich Wien Grundstück Haus Wohnung Miete \
        Steuer Versicherung Gebühr Zahlung Überweisung Konto Bank Kosten Preis Umsatz Quartal \
        Jahr Monat Tag Stunde Minute Zeit Ende Anfang Mitte Teil Beispiel Grund Weg Ziel Plan \
        Idee Vorschlag Meinung Hinweis Rückmeldung Rückfrage Bestätigung Einladung Absage \
        Verschiebung Verspätung Störung Wartung Ausfall Neustart Anmeldung Abmeldung Schlüssel \
        Tür Fenster Raum Gebäude Etage Stuhl Tisch Computer Bildschirm Drucker Tastatur Maus \
        Kabel Netz Netzwerk Verbindung Leitung Telefon Handy Nachricht Mitteilung Schreiben \
        Brief Post Paket Lieferung Bestellung Ware Lager Menge Stück Qualität Prüfbericht \
        Maßnahme Außendienst Überstunden Gehalt Öffnungszeiten Frühjahr Sommer Herbst Winter \
        Weihnachten Feiertag Geburtstag Kollegen Kollegin Chef Team Kalender Vertretung \
        Genehmigung Freigabe Auftrag Lieferant Händler Rabatt Mahnung Frist Abgabe Entwicklung \
        Forschung Hochschule Studium Prüfungsamt Straßenbahn Bahnhof Flughafen Verkehr Stau",
    subjects: &[
        "Besprechungsprotokoll",
        "Quartalsbericht",
        "Projektstand",
        "Kurze Frage",
        "Mittagessen am Freitag?",
        "Rechnung",
        "Angebot",
        "Vertragsverlängerung",
        "Urlaubsplanung",
        "Termin nächste Woche",
        "Änderungen am Entwurf",
        "Wartungsfenster am Wochenende",
        "Zugang zum Server",
        "Fehler beim Import",
        "Grüße aus München",
        "Einladung zur Weihnachtsfeier",
        "Rückfrage zur Bestellung",
        "Unterlagen für die Prüfung",
        "Übergabe",
        "Straßensperrung vor dem Büro",
        "Reisekostenabrechnung",
        "Protokoll der Sitzung",
        "Neue Version verfügbar",
        "Störung im Netzwerk",
        "Bitte um Rückmeldung",
    ],
    greetings: &[
        "Hallo {},",
        "Hi {},",
        "Moin {},",
        "Guten Morgen {},",
        "Sehr geehrte Damen und Herren,",
        "Liebe Kolleginnen und Kollegen,",
    ],
    closings: &[
        "Viele Grüße",
        "Beste Grüße",
        "Mit freundlichen Grüßen",
        "Gruß",
        "Danke und Grüße",
    ],
    forwarded: "-------- Weitergeleitete Nachricht --------",
    original: "-----Ursprüngliche Nachricht-----",
    titles: &[
        "Softwareentwickler",
        "Leiterin Vertrieb",
        "Geschäftsführer",
        "Projektleiterin",
    ],
    companies: &["Beispiel GmbH", "Muster AG", "Beispielwerke GmbH & Co. KG"],
    file_stems: &[
        "Übersicht Q3",
        "Protokoll",
        "Notizen",
        "Aufgabenliste",
        "Straßenliste",
    ],
};
