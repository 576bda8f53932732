"""Static reference data for the demo organization (the chart of accounts is in
``chart``). Postcodes, cities, cantons and telephone area codes are real Swiss pairs.
"""

from __future__ import annotations

# -- currencies and monthly rates (CHF for one unit, first of the month) ----------------------
CURRENCIES = {
    # code: (decimals, {language: name})
    "CHF": (2, {"fr": "Franc suisse", "de": "Schweizer Franken", "it": "Franco svizzero"}),
    "EUR": (2, {"fr": "Euro", "de": "Euro", "it": "Euro"}),
    "USD": (2, {"fr": "Dollar américain", "de": "US-Dollar", "it": "Dollaro statunitense"}),
}

MONTHLY_RATES = {
    "EUR": (
        0.990, 0.987, 0.993, 0.985, 0.975, 0.978, 0.969, 0.961, 0.959, 0.966, 0.964, 0.955,
        0.934, 0.942, 0.953, 0.979, 0.984, 0.976, 0.966, 0.954, 0.941, 0.939, 0.935, 0.936,
        0.941, 0.942, 0.946, 0.951, 0.935, 0.936, 0.934, 0.937, 0.935, 0.931, 0.929, 0.930,
    ),
    "USD": (
        0.924, 0.926, 0.931, 0.914, 0.896, 0.905, 0.889, 0.876, 0.884, 0.906, 0.903, 0.871,
        0.851, 0.869, 0.879, 0.902, 0.908, 0.899, 0.891, 0.868, 0.851, 0.862, 0.871, 0.889,
        0.906, 0.903, 0.882, 0.861, 0.829, 0.821, 0.799, 0.806, 0.801, 0.796, 0.801, 0.803,
    ),
}

# -- VAT ------------------------------------------------------------------------------------
# class: (old rate 2018-2023, new rate from 2024)
VAT_RATES = {"N": ("7.70", "8.10"), "R": ("2.50", "2.60"), "H": ("3.70", "3.80")}
VAT_OLD_FROM, VAT_OLD_TO, VAT_NEW_FROM = "2018-01-01", "2023-12-31", "2024-01-01"

# -- users (organization level) ---------------------------------------------------------------
USERS = (
    ("c.favre", "Claire Favre", "accountant"),
    ("m.keller", "Markus Keller", "accountant"),
    ("l.bernasconi", "Luca Bernasconi", "accountant"),
    ("s.meier", "Sandra Meier", "viewer"),
)

# -- companies --------------------------------------------------------------------------------
# (group, company, legal form, language, street, postcode, city, profile, share of lines %,
#  accountant login)
COMPANIES = (
    ("Groupe Helvetia", "Helvetia Holding SA", "SA", "fr", "Rue du Grand-Chêne 8", "1003",
     "Lausanne", "holding", 15, "l.bernasconi"),
    ("Groupe Helvetia", "Helvetia Services SA", "SA", "fr", "Avenue de la Gare 12", "1003",
     "Lausanne", "services", 40, "c.favre"),
    ("Groupe Helvetia", "Helvetia Immobilier SA", "SA", "fr", "Rue du Rhône 65", "1204",
     "Genève", "realestate", 25, "c.favre"),
    ("Boulangerie Favre Sàrl", "Boulangerie Favre Sàrl", "Sàrl", "fr", "Grand-Rue 21", "1630",
     "Bulle", "bakery", 10, "c.favre"),
    ("Atelier Keller GmbH", "Atelier Keller GmbH", "GmbH", "de", "Industriestrasse 21", "8400",
     "Winterthur", "workshop", 10, "m.keller"),
)

# group: (main language, contacts, region weights fr/de/it, has foreign customers)
GROUPS = {
    "Groupe Helvetia": ("fr", 260, (55, 35, 10), True),
    "Boulangerie Favre Sàrl": ("fr", 70, (85, 15, 0), False),
    "Atelier Keller GmbH": ("de", 70, (8, 87, 5), True),
}

# -- articles ---------------------------------------------------------------------------------
# (code, unit, price in centimes, VAT class N/R/H, revenue account, fr, de, it, en)
ARTICLES = {
    "Groupe Helvetia": (
        ("CONS-SR", "h", 22000, "N", "3400", "Conseil senior", "Beratung Senior",
         "Consulenza senior", "Senior consulting"),
        ("CONS-JR", "h", 14000, "N", "3400", "Conseil junior", "Beratung Junior",
         "Consulenza junior", "Junior consulting"),
        ("PROJ", "h", 18000, "N", "3400", "Gestion de projet", "Projektleitung",
         "Gestione di progetto", "Project management"),
        ("IT-SUP", "h", 12000, "N", "3400", "Support informatique", "Informatik-Support",
         "Supporto informatico", "IT support"),
        ("IT-LIC", "mois", 4900, "N", "3400", "Licence logicielle mensuelle",
         "Monatliche Softwarelizenz", "Licenza software mensile", "Monthly software licence"),
        ("FID", "h", 11000, "N", "3400", "Tenue de la comptabilité", "Buchführung",
         "Tenuta della contabilità", "Bookkeeping"),
        ("SAL", "pce", 2500, "N", "3400", "Décompte de salaire", "Lohnabrechnung",
         "Conteggio salariale", "Payslip"),
        ("FORM", "jour", 120000, "N", "3400", "Journée de formation", "Schulungstag",
         "Giornata di formazione", "Training day"),
        ("DEPL", "km", 70, "N", "3400", "Frais de déplacement", "Reisekosten",
         "Spese di trasferta", "Travel costs"),
        ("HEB", "nuit", 14000, "H", "3400", "Hébergement", "Beherbergung", "Alloggio",
         "Accommodation"),
        ("GER", "mois", 85000, "N", "3400", "Gérance d'immeuble", "Liegenschaftsverwaltung",
         "Amministrazione di stabili", "Property management"),
        ("CONC", "mois", 45000, "N", "3400", "Conciergerie", "Hauswartung", "Portineria",
         "Caretaking"),
        ("NET", "h", 5500, "N", "3400", "Nettoyage des parties communes",
         "Reinigung Allgemeinräume", "Pulizia delle parti comuni", "Common areas cleaning"),
        ("ETAT", "pce", 25000, "N", "3400", "État des lieux", "Wohnungsabnahme",
         "Verbale di consegna", "Inspection report"),
        ("SALLE", "jour", 60000, "N", "3400", "Location de salle de séminaire",
         "Seminarraummiete", "Noleggio sala seminari", "Seminar room rental"),
        ("MGMT", "mois", 250000, "N", "3400", "Management fees", "Managementgebühren",
         "Commissioni di gestione", "Management fees"),
        ("PAP", "pce", 1250, "N", "3200", "Classeur fédéral", "Bundesordner",
         "Classificatore federale", "Lever arch file"),
        ("CAFE", "pce", 450, "R", "3200", "Paquet de café en grains", "Kaffeebohnen Packung",
         "Pacchetto di caffè in grani", "Coffee beans pack"),
    ),
    "Boulangerie Favre Sàrl": (
        ("PMB", "pce", 320, "R", "3200", "Pain mi-blanc 500 g", "Halbweissbrot 500 g",
         "Pane semibianco 500 g", "Half-white bread 500 g"),
        ("PCO", "pce", 390, "R", "3200", "Pain complet 500 g", "Vollkornbrot 500 g",
         "Pane integrale 500 g", "Wholemeal bread 500 g"),
        ("BAG", "pce", 280, "R", "3200", "Baguette", "Baguette", "Baguette", "Baguette"),
        ("CRO", "pce", 160, "R", "3200", "Croissant au beurre", "Buttergipfeli",
         "Cornetto al burro", "Butter croissant"),
        ("TRE", "pce", 650, "R", "3200", "Tresse au beurre 500 g", "Butterzopf 500 g",
         "Treccia al burro 500 g", "Butter plait 500 g"),
        ("NOI", "pce", 540, "R", "3200", "Pain aux noix", "Nussbrot", "Pane alle noci",
         "Walnut bread"),
        ("CUC", "pce", 980, "R", "3200", "Cuchaule AOP", "Cuchaule AOP", "Cuchaule DOP",
         "Cuchaule PDO"),
        ("VUL", "pce", 1200, "R", "3200", "Gâteau du Vully", "Vully-Kuchen", "Torta del Vully",
         "Vully cake"),
        ("MER", "pce", 850, "R", "3200", "Meringues (6 pièces)", "Meringues (6 Stück)",
         "Meringhe (6 pezzi)", "Meringues (6 pieces)"),
        ("SAN", "pce", 650, "R", "3200", "Sandwich jambon", "Schinkensandwich",
         "Panino al prosciutto", "Ham sandwich"),
        ("FAR", "kg", 240, "R", "3200", "Farine bise", "Ruchmehl", "Farina bigia",
         "Brown flour"),
        ("CAF", "pce", 420, "N", "3200", "Café servi sur place", "Kaffee vor Ort",
         "Caffè servito sul posto", "Coffee served on site"),
        ("TRA", "pce", 5800, "N", "3200", "Plateau traiteur", "Apéro-Platte",
         "Vassoio aperitivo", "Catering platter"),
        ("LIV", "pce", 1500, "N", "3400", "Livraison", "Lieferung", "Consegna", "Delivery"),
    ),
    "Atelier Keller GmbH": (
        ("STD-M", "h", 11500, "N", "3400", "Heure de travail maître", "Arbeitsstunde Meister",
         "Ora di lavoro maestro", "Master craftsman hour"),
        ("STD-G", "h", 9500, "N", "3400", "Heure de travail ouvrier qualifié",
         "Arbeitsstunde Geselle", "Ora di lavoro operaio qualificato", "Journeyman hour"),
        ("STD-L", "h", 4500, "N", "3400", "Heure de travail apprenti", "Arbeitsstunde Lehrling",
         "Ora di lavoro apprendista", "Apprentice hour"),
        ("SCHW", "h", 12500, "N", "3400", "Travaux de soudure", "Schweissarbeiten",
         "Lavori di saldatura", "Welding work"),
        ("MONT", "pce", 38000, "N", "3400", "Forfait de montage", "Montagepauschale",
         "Forfait di montaggio", "Installation flat fee"),
        ("FZP", "pce", 6500, "N", "3400", "Forfait véhicule", "Fahrzeugpauschale",
         "Forfait veicolo", "Vehicle flat fee"),
        ("ST-PR", "m", 2890, "N", "3000", "Profilé acier", "Stahlprofil", "Profilato d'acciaio",
         "Steel profile"),
        ("BLECH", "m2", 6400, "N", "3000", "Tôle d'acier 2 mm", "Stahlblech 2 mm",
         "Lamiera d'acciaio 2 mm", "Steel sheet 2 mm"),
        ("GEL", "m", 18500, "N", "3000", "Garde-corps", "Geländer", "Ringhiera", "Railing"),
        ("TOR", "pce", 245000, "N", "3000", "Portail coulissant", "Schiebetor",
         "Cancello scorrevole", "Sliding gate"),
        ("KLT", "pce", 1850, "N", "3200", "Petit matériel", "Kleinmaterial", "Minuteria",
         "Small parts"),
        ("ENTS", "pce", 4000, "N", "3400", "Élimination des déchets", "Entsorgung",
         "Smaltimento", "Disposal"),
    ),
}

# -- names, streets, places -------------------------------------------------------------------
FIRST_NAMES = {
    "fr": ("Jean", "Pierre", "Luc", "Marc", "Nicolas", "Julien", "Olivier", "Philippe",
           "Thierry", "Alain", "Christophe", "Sébastien", "Yves", "Mathieu", "Antoine",
           "François", "Marie", "Sophie", "Nathalie", "Isabelle", "Catherine", "Valérie",
           "Sandrine", "Céline", "Aurélie", "Laure", "Chloé", "Camille", "Léa", "Manon",
           "Émilie", "Mélanie", "Anne", "Joëlle"),
    "de": ("Hans", "Peter", "Thomas", "Daniel", "Martin", "Andreas", "Markus", "Stefan",
           "Christian", "Urs", "Beat", "Reto", "Lukas", "Simon", "Jonas", "Matthias", "Fritz",
           "Ursula", "Ruth", "Monika", "Barbara", "Sandra", "Nicole", "Andrea", "Claudia",
           "Daniela", "Karin", "Sabine", "Anna", "Laura", "Lea", "Julia", "Corinne", "Regula"),
    "it": ("Marco", "Luca", "Andrea", "Giuseppe", "Paolo", "Stefano", "Fabio", "Mattia",
           "Alessandro", "Davide", "Giorgio", "Roberto", "Maria", "Francesca", "Chiara",
           "Giulia", "Elena", "Sara", "Laura", "Paola", "Silvia", "Alessia", "Martina",
           "Federica"),
}

LAST_NAMES = {
    "fr": ("Favre", "Rochat", "Pittet", "Chevalley", "Cuendet", "Bonvin", "Perrin", "Rey",
           "Girard", "Morel", "Dubois", "Monnier", "Jaquet", "Mercier", "Blanc", "Genoud",
           "Pasche", "Clerc", "Vuilleumier", "Roulin", "Chappuis", "Dupraz", "Jaccard",
           "Reymond", "Golay", "Rossier", "Michaud", "Tissot", "Berset", "Schaller", "Gay",
           "Fournier", "Martin", "Bovet", "Moret", "Dufour", "Jacot", "Gavillet", "Cottier",
           "Sauthier"),
    "de": ("Müller", "Meier", "Schmid", "Keller", "Weber", "Huber", "Schneider", "Meyer",
           "Steiner", "Fischer", "Gerber", "Brunner", "Baumann", "Frei", "Zimmermann", "Moser",
           "Widmer", "Wyss", "Graf", "Roth", "Kälin", "Bühler", "Suter", "Baumgartner",
           "Hofmann", "Lüthi", "Egli", "Hug", "Marti", "Sutter", "Bachmann", "Kunz", "Zürcher",
           "Ammann", "Imhof", "Vogel", "Fankhauser", "Aebischer", "Stucki", "Hess"),
    "it": ("Bernasconi", "Rossi", "Ferrari", "Pedrazzini", "Bianchi", "Colombo", "Galli",
           "Fontana", "Lombardi", "Moretti", "Rusconi", "Cattaneo", "Gianella", "Bassi",
           "Pellandini", "Solari", "Quadri", "Beffa", "Cavadini", "Delcò", "Pozzi", "Lepori",
           "Pelli", "Sala"),
}

# {L}: a last name, {C}: the city
FIRM_PATTERNS = {
    "fr": ("{L} & Fils SA", "{L} Transports Sàrl", "Garage {L} SA", "Fiduciaire {L} Sàrl",
           "Menuiserie {L} Sàrl", "Boucherie {L}", "Imprimerie {L} SA", "Électricité {L} SA",
           "Pharmacie {L}", "{L} Architectes SA", "Cabinet dentaire {L}",
           "{L} Informatique Sàrl", "Restaurant de la Gare {C}", "Domaine {L}",
           "Carrosserie {L} SA", "Hôtel du Lac {C}", "Café du Commerce {C}",
           "Sanitaire {L} Sàrl", "Peinture {L} Sàrl", "{L} Conseils SA"),
    "de": ("{L} AG", "{L} & Partner AG", "Schreinerei {L} GmbH", "Garage {L} AG",
           "Treuhand {L} GmbH", "Bäckerei {L}", "Metzgerei {L} AG", "{L} Transporte AG",
           "Elektro {L} AG", "Sanitär {L} GmbH", "Hotel Krone {C}", "Restaurant Sternen {C}",
           "Druckerei {L} AG", "{L} Informatik GmbH", "Malergeschäft {L}",
           "Architekturbüro {L}", "Apotheke {L}", "Gärtnerei {L}", "Holzbau {L} AG",
           "{L} Haustechnik AG"),
    "it": ("{L} SA", "{L} & Figli SA", "Garage {L} Sagl", "Fiduciaria {L} SA",
           "Ristorante {L}", "Falegnameria {L} Sagl", "Farmacia {L}", "Trasporti {L} SA",
           "Studio d'architettura {L}", "Tipografia {L} SA", "Grotto {L}",
           "Elettricità {L} SA"),
}

STREETS = {
    "fr": ("Rue du Lac", "Avenue de la Gare", "Rue de Lausanne", "Chemin des Vignes",
           "Route de Berne", "Rue du Marché", "Avenue de la Poste", "Rue Centrale",
           "Chemin du Bois", "Rue de l'Industrie", "Avenue des Alpes", "Rue du Château",
           "Place du Midi", "Route de la Plaine", "Chemin des Écoliers", "Rue des Moulins",
           "Avenue du Léman", "Rue de la Fontaine", "Chemin de la Forêt", "Rue du Temple"),
    "de": ("Bahnhofstrasse", "Hauptstrasse", "Dorfstrasse", "Kirchweg", "Industriestrasse",
           "Schulstrasse", "Gartenstrasse", "Poststrasse", "Seestrasse", "Bergstrasse",
           "Rosenweg", "Lindenstrasse", "Feldstrasse", "Sonnenbergstrasse", "Marktgasse",
           "Zürcherstrasse", "Bernstrasse", "Mühleweg", "Birkenweg", "Obere Gasse"),
    "it": ("Via Cantonale", "Via San Gottardo", "Piazza Grande", "Via Nassa", "Via Luino",
           "Via alla Stazione", "Via Motta", "Via Lugano", "Via Ospedale", "Via Vela",
           "Via dei Faggi", "Via Industria", "Via Pretorio", "Contrada Maggiore"),
}

# (postcode, city, canton, telephone area code)
CITIES = {
    "fr": (
        ("1003", "Lausanne", "VD", "21"), ("1004", "Lausanne", "VD", "21"),
        ("1007", "Lausanne", "VD", "21"), ("1010", "Lausanne", "VD", "21"),
        ("1020", "Renens VD", "VD", "21"), ("1110", "Morges", "VD", "21"),
        ("1260", "Nyon", "VD", "22"), ("1400", "Yverdon-les-Bains", "VD", "24"),
        ("1530", "Payerne", "VD", "26"), ("1800", "Vevey", "VD", "21"),
        ("1820", "Montreux", "VD", "21"), ("1201", "Genève", "GE", "22"),
        ("1204", "Genève", "GE", "22"), ("1205", "Genève", "GE", "22"),
        ("1207", "Genève", "GE", "22"), ("1213", "Onex", "GE", "22"),
        ("1227", "Carouge GE", "GE", "22"), ("1700", "Fribourg", "FR", "26"),
        ("1630", "Bulle", "FR", "26"), ("1618", "Châtel-Saint-Denis", "FR", "21"),
        ("1950", "Sion", "VS", "27"), ("1920", "Martigny", "VS", "27"),
        ("1870", "Monthey", "VS", "24"), ("3960", "Sierre", "VS", "27"),
        ("2000", "Neuchâtel", "NE", "32"), ("2300", "La Chaux-de-Fonds", "NE", "32"),
        ("2400", "Le Locle", "NE", "32"), ("2800", "Delémont", "JU", "32"),
        ("2900", "Porrentruy", "JU", "32"), ("2610", "Saint-Imier", "BE", "32"),
    ),
    "de": (
        ("8001", "Zürich", "ZH", "44"), ("8004", "Zürich", "ZH", "44"),
        ("8050", "Zürich", "ZH", "44"), ("8400", "Winterthur", "ZH", "52"),
        ("8610", "Uster", "ZH", "44"), ("8304", "Wallisellen", "ZH", "44"),
        ("3011", "Bern", "BE", "31"), ("3007", "Bern", "BE", "31"),
        ("3600", "Thun", "BE", "33"), ("2502", "Biel/Bienne", "BE", "32"),
        ("3400", "Burgdorf", "BE", "34"), ("4051", "Basel", "BS", "61"),
        ("4052", "Basel", "BS", "61"), ("4410", "Liestal", "BL", "61"),
        ("6003", "Luzern", "LU", "41"), ("6300", "Zug", "ZG", "41"),
        ("9000", "St. Gallen", "SG", "71"), ("9500", "Wil SG", "SG", "71"),
        ("8640", "Rapperswil SG", "SG", "55"), ("5000", "Aarau", "AG", "62"),
        ("5400", "Baden", "AG", "56"), ("4500", "Solothurn", "SO", "32"),
        ("4600", "Olten", "SO", "62"), ("8200", "Schaffhausen", "SH", "52"),
        ("8500", "Frauenfeld", "TG", "52"), ("7000", "Chur", "GR", "81"),
        ("7500", "St. Moritz", "GR", "81"), ("6430", "Schwyz", "SZ", "41"),
        ("8750", "Glarus", "GL", "55"), ("9050", "Appenzell", "AI", "71"),
        ("9100", "Herisau", "AR", "71"), ("6370", "Stans", "NW", "41"),
        ("6060", "Sarnen", "OW", "41"), ("6460", "Altdorf UR", "UR", "41"),
        ("3900", "Brig", "VS", "27"),
    ),
    "it": (
        ("6900", "Lugano", "TI", "91"), ("6500", "Bellinzona", "TI", "91"),
        ("6600", "Locarno", "TI", "91"), ("6850", "Mendrisio", "TI", "91"),
        ("6830", "Chiasso", "TI", "91"), ("6710", "Biasca", "TI", "91"),
        ("6648", "Minusio", "TI", "91"), ("6512", "Giubiasco", "TI", "91"),
        ("6616", "Losone", "TI", "91"), ("7742", "Poschiavo", "GR", "81"),
        ("6535", "Roveredo GR", "GR", "91"),
    ),
}

# Foreign customers billed in EUR: (name, street, postcode, city, country, language)
FOREIGN_FIRMS = (
    ("Schwarzwald Handels GmbH", "Hauptstraße 14", "79539", "Lörrach", "DE", "de"),
    ("Bodensee Technik GmbH", "Marktstätte 3", "78462", "Konstanz", "DE", "de"),
    ("Savoie Négoce SARL", "12 rue de la République", "74100", "Annemasse", "FR", "fr"),
    ("Alsace Distribution SAS", "5 rue de Mulhouse", "68300", "Saint-Louis", "FR", "fr"),
    ("Lario Forniture S.r.l.", "Via Milano 20", "22100", "Como", "IT", "it"),
    ("Vorarlberg Bau GmbH", "Rathausstraße 9", "6900", "Bregenz", "AT", "de"),
)

# Suppliers billing in foreign currencies (text only): (name, currency)
FOREIGN_SUPPLIERS = (
    ("Schwarzwald Handels GmbH", "EUR"), ("Lario Forniture S.r.l.", "EUR"),
    ("Northwind Software Inc.", "USD"), ("Contoso Cloud Services LLC", "USD"),
)

EMAIL_DOMAINS = ("bluewin.ch", "gmail.com", "gmx.ch", "sunrise.ch", "hispeed.ch",
                 "outlook.com", "protonmail.ch")

# -- texts of the journal ------------------------------------------------------------------
MONTHS = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
           "September", "Oktober", "November", "Dezember"),
}

TEXTS = {
    "fr": {
        "invoice": "Facture", "payment": "Paiement facture", "wages": "Salaire",
        "rent": "Loyer des locaux", "vat": "Décompte TVA", "purchase": "Facture fournisseur",
        "supplier_payment": "Paiement fournisseur", "transfer": "Virement compte postal",
        "cash_deposit": "Versement de la caisse à la banque", "cash_sale": "Ventes au comptant",
        "bank_fees": "Frais bancaires", "dividend": "Dividende reçu", "rent_income": "Loyer",
        "fx": "Achat en devises", "misc": "Frais divers", "fx_diff": "Différence de change",
        "interest": "Intérêts du prêt", "insurance": "Prime d'assurance", "net": "Salaire net",
        "social": "Charges sociales", "employer": "Part patronale", "gross": "Salaire brut",
        "receipt": "Quittance", "vat_quarter": "T", "tenant": "Locataire",
        "total": "Total", "date": "Date", "due": "Échéance", "reference": "Référence",
        "customer": "Client", "document": "Facture",
    },
    "de": {
        "invoice": "Rechnung", "payment": "Zahlung Rechnung", "wages": "Lohn",
        "rent": "Miete Geschäftsräume", "vat": "MWST-Abrechnung",
        "purchase": "Lieferantenrechnung", "supplier_payment": "Zahlung Lieferant",
        "transfer": "Übertrag Postkonto", "cash_deposit": "Einzahlung Kasse auf Bank",
        "cash_sale": "Barverkäufe", "bank_fees": "Bankspesen", "dividend": "Dividendenertrag",
        "rent_income": "Mietzins", "fx": "Einkauf in Fremdwährung", "misc": "Diverse Spesen",
        "fx_diff": "Kursdifferenz", "interest": "Darlehenszins", "insurance": "Versicherungsprämie",
        "net": "Nettolohn", "social": "Sozialversicherungen", "employer": "Arbeitgeberanteil",
        "gross": "Bruttolohn", "receipt": "Quittung", "vat_quarter": "Q", "tenant": "Mieter",
        "total": "Total", "date": "Datum", "due": "Fällig", "reference": "Referenz",
        "customer": "Kunde", "document": "Rechnung",
    },
}

# -- purchases by company profile ------------------------------------------------------------
# (expense account, VAT class or None, min CHF, max CHF, French text, German text, suppliers)
PURCHASES = {
    "services": (
        ("4400", "N", 400, 12000, "Prestations de sous-traitance", "Fremdleistungen",
         ("Golay Informatique Sàrl", "Weber & Partner AG", "Conseils Reymond SA")),
        ("6500", "N", 20, 400, "Matériel de bureau", "Büromaterial",
         ("Papeterie Rochat SA", "Bürobedarf Huber AG")),
        ("6510", "N", 80, 600, "Téléphonie et internet", "Telefon und Internet",
         ("Léman Télécom SA", "Alpnet Kommunikation AG")),
        ("6570", "N", 100, 6000, "Matériel et logiciels informatiques", "Informatik",
         ("Informatique Clerc Sàrl", "Datacenter Bühler AG")),
        ("6600", "N", 200, 5000, "Annonces et publicité", "Inserate und Werbung",
         ("Imprimerie Jaquet SA", "Agence Pixel Sàrl")),
        ("6640", "N", 50, 1500, "Frais de voyage", "Reisespesen",
         ("Voyages Monnier SA", "Reisebüro Graf AG")),
        ("6660", "N", 60, 800, "Repas d'affaires", "Geschäftsessen",
         ("Restaurant du Port", "Brasserie Dubois Sàrl")),
        ("5810", "N", 300, 3000, "Cours de formation", "Weiterbildungskurs",
         ("Centre de formation Perrin SA", "Akademie Steiner AG")),
        ("6300", None, 300, 4000, "Prime d'assurance", "Versicherungsprämie",
         ("Assurances du Léman SA", "Alpina Versicherungen AG")),
        ("6040", "N", 150, 900, "Nettoyage des bureaux", "Büroreinigung",
         ("Nettoyages Blanc Sàrl", "Reinigung Wyss GmbH")),
    ),
    "realestate": (
        ("6100", "N", 150, 8000, "Réparations", "Reparaturen",
         ("Sanitaire Mercier Sàrl", "Électricité Genoud SA", "Menuiserie Pittet Sàrl")),
        ("7510", "N", 300, 15000, "Entretien des immeubles", "Liegenschaftsunterhalt",
         ("Peinture Dufour Sàrl", "Bâtiment Rossier SA", "Ferblanterie Chappuis Sàrl")),
        ("6040", "N", 200, 2500, "Nettoyage des immeubles", "Liegenschaftsreinigung",
         ("Nettoyages Blanc Sàrl", "Conciergerie Cuendet Sàrl")),
        ("4520", "N", 1500, 12000, "Livraison de mazout", "Heizöllieferung",
         ("Combustibles Bovet SA",)),
        ("4500", "N", 200, 4000, "Électricité des communs", "Allgemeinstrom",
         ("Énergie du Léman SA",)),
        ("4540", "N", 100, 2000, "Eau et épuration", "Wasser und Abwasser",
         ("Eaux du Plateau SA",)),
        ("6300", None, 500, 9000, "Assurance bâtiment", "Gebäudeversicherung",
         ("Assurances du Léman SA",)),
        ("6530", "N", 500, 5000, "Honoraires notaire et conseil",
         "Notariats- und Beratungshonorar", ("Étude Morel & Clerc notaires",)),
        ("6460", "N", 100, 1500, "Évacuation des déchets", "Entsorgung",
         ("Voirie Tissot Sàrl",)),
    ),
    "holding": (
        ("6530", "N", 1000, 15000, "Honoraires de conseil", "Beratungshonorar",
         ("Fiduciaire Berset SA", "Conseils Reymond SA")),
        ("6540", "N", 3000, 25000, "Révision et conseil d'administration",
         "Revision und Verwaltungsrat", ("Révision Jaccard SA", "Audit Meyer AG")),
        ("6500", "N", 20, 300, "Matériel de bureau", "Büromaterial", ("Papeterie Rochat SA",)),
        ("6640", "N", 100, 3000, "Frais de voyage", "Reisespesen", ("Voyages Monnier SA",)),
        ("6660", "N", 100, 1500, "Frais de représentation", "Repräsentationsspesen",
         ("Restaurant du Port", "Brasserie Dubois Sàrl")),
        ("6300", None, 500, 5000, "Prime d'assurance", "Versicherungsprämie",
         ("Assurances du Léman SA",)),
        ("6360", None, 100, 2000, "Émoluments du registre du commerce",
         "Handelsregistergebühren", ("Registre du commerce du canton de Vaud",)),
    ),
    "bakery": (
        ("4200", "R", 200, 4000, "Farine et céréales", "Mehl und Getreide",
         ("Moulin de la Sarine SA", "Minoterie Rossier SA")),
        ("4200", "R", 100, 2500, "Beurre, lait et œufs", "Butter, Milch und Eier",
         ("Laiterie Genoud Sàrl", "Ferme Cottier")),
        ("4200", "R", 50, 800, "Levure et sucre", "Hefe und Zucker", ("Fournitures Pasche SA",)),
        ("4200", "N", 50, 1200, "Emballages", "Verpackungen", ("Emballages Roulin Sàrl",)),
        ("4500", "N", 300, 2500, "Électricité des fours", "Strom Backöfen",
         ("Énergie fribourgeoise SA",)),
        ("6100", "N", 150, 3500, "Réparation du four", "Reparatur Backofen",
         ("Fours Chevalley SA",)),
        ("6210", "N", 60, 200, "Carburant camionnette", "Treibstoff Lieferwagen",
         ("Garage Sauthier SA",)),
        ("6040", "N", 100, 600, "Produits de nettoyage", "Reinigungsmittel",
         ("Hygiène Bonvin Sàrl",)),
        ("6300", None, 200, 2500, "Prime d'assurance", "Versicherungsprämie",
         ("Assurances du Léman SA",)),
    ),
    "workshop": (
        ("4000", "N", 200, 9000, "Acier et profilés", "Stahl und Profile",
         ("Stahlhandel Brunner AG", "Eisen Widmer AG")),
        ("4000", "N", 50, 1500, "Visserie et petit matériel", "Schrauben und Kleinmaterial",
         ("Schrauben Frei AG", "Eisenwaren Kunz AG")),
        ("4000", "N", 100, 2500, "Gaz de soudage", "Schweissgas", ("Gase Zimmermann AG",)),
        ("4400", "N", 300, 6000, "Travaux de sous-traitance", "Fremdarbeiten",
         ("Pulverbeschichtung Egli GmbH", "Laserschnitt Baumann AG")),
        ("6210", "N", 60, 250, "Carburant", "Treibstoff", ("Garage Suter AG",)),
        ("6220", "N", 200, 3000, "Service véhicule", "Fahrzeugservice", ("Garage Suter AG",)),
        ("6100", "N", 100, 2500, "Entretien des machines", "Maschinenunterhalt",
         ("Maschinenservice Lüthi GmbH",)),
        ("4500", "N", 200, 2000, "Électricité atelier", "Strom Werkstatt",
         ("Elektrizitätswerk Töss AG",)),
        ("6300", None, 200, 4000, "Prime d'assurance", "Versicherungsprämie",
         ("Alpina Versicherungen AG",)),
    ),
}
