"""Expand the hand-written distractors with claims varied from templates (deterministic, seed 9).

Reads src/distractors*.txt (hand-written) and writes distractors.jsonl: the hand-written claims first
(ids d-00001…), then generated ones until TOTAL. A generated claim is dropped when it repeats a text or
shares most of its content words with a fact-check in factchecks.jsonl (a distractor must restate no post's
fact-check). Run: python bench/data/retrieval/make_distractors.py
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 9
TOTAL = 3200

COUNTRIES = [
    "Kenya",
    "Nigeria",
    "Ghana",
    "South Africa",
    "Uganda",
    "Zambia",
    "Senegal",
    "Egypt",
    "Morocco",
    "India",
    "Pakistan",
    "Bangladesh",
    "Indonesia",
    "the Philippines",
    "Malaysia",
    "Vietnam",
    "Japan",
    "South Korea",
    "Australia",
    "New Zealand",
    "Canada",
    "the United States",
    "Mexico",
    "Brazil",
    "Argentina",
    "Colombia",
    "Peru",
    "Chile",
    "Spain",
    "France",
    "Germany",
    "Italy",
    "Poland",
    "Sweden",
    "Norway",
    "the Netherlands",
    "Ireland",
    "Scotland",
    "Portugal",
    "Greece",
    "Turkey",
    "Romania",
    "Hungary",
    "Austria",
    "Belgium",
    "Denmark",
    "Finland",
    "Ukraine",
    "Georgia",
    "Israel",
]
CITIES = [
    "Nairobi",
    "Lagos",
    "Accra",
    "Kampala",
    "Lusaka",
    "Dakar",
    "Cairo",
    "Casablanca",
    "Mumbai",
    "Karachi",
    "Dhaka",
    "Jakarta",
    "Manila",
    "Kuala Lumpur",
    "Osaka",
    "Busan",
    "Perth",
    "Wellington",
    "Calgary",
    "Phoenix",
    "Guadalajara",
    "Recife",
    "Córdoba",
    "Medellín",
    "Arequipa",
    "Valparaíso",
    "Seville",
    "Lille",
    "Leipzig",
    "Naples",
    "Kraków",
    "Gothenburg",
    "Bergen",
    "Rotterdam",
    "Cork",
    "Aberdeen",
    "Porto",
    "Thessaloniki",
    "Izmir",
    "Cluj",
    "Debrecen",
    "Graz",
    "Antwerp",
    "Aarhus",
    "Tampere",
    "Lviv",
    "Tbilisi",
    "Haifa",
    "Leeds",
    "Sheffield",
    "Cardiff",
    "Belfast",
    "Detroit",
    "Denver",
    "Miami",
    "Atlanta",
    "Glasgow",
    "Nottingham",
    "Brighton",
    "Coventry",
]
YEARS = [str(y) for y in range(2015, 2027)]
FUTURE = [str(y) for y in range(2026, 2031)]
NUMBERS = ["12", "18", "25", "30", "40", "45", "60", "75", "80", "90"]
FOODS = [
    "ginger",
    "turmeric",
    "black seed oil",
    "aloe vera",
    "beetroot juice",
    "okra water",
    "bitter melon",
    "raw onion",
    "moringa powder",
    "cloves",
    "pumpkin seeds",
    "cabbage juice",
    "neem leaves",
    "guava leaves",
    "soursop",
    "hibiscus tea",
    "fermented garlic",
    "camel milk",
    "coconut water",
    "cucumber water",
    "oregano oil",
    "charcoal tablets",
    "chia seeds",
    "sweet potato leaves",
]
DISEASES = [
    "high blood pressure",
    "asthma",
    "kidney failure",
    "prostate cancer",
    "typhoid",
    "gout",
    "hepatitis B",
    "migraine",
    "stomach ulcers",
    "arthritis",
    "epilepsy",
    "psoriasis",
    "cataracts",
    "sickle cell disease",
    "thyroid problems",
    "anaemia",
    "lupus",
    "tuberculosis",
    "malaria",
]
SOURCES = [
    "a Nigerian professor",
    "a Japanese study",
    "an Indian doctor",
    "a Harvard study",
    "a German clinic",
    "a retired surgeon",
    "an Israeli researcher",
    "a Chinese herbalist",
    "Oxford scientists",
    "a Brazilian nutritionist",
    "a Kenyan pharmacist",
    "a Mexican university",
]
VACCINES = [
    "measles",
    "HPV",
    "flu",
    "tetanus",
    "hepatitis B",
    "rotavirus",
    "typhoid",
    "meningitis",
    "pneumococcal",
    "shingles",
    "RSV",
    "dengue",
    "cholera",
    "yellow fever",
]
CONDITIONS = [
    "blindness",
    "epilepsy",
    "infertility",
    "diabetes",
    "deafness",
    "heart attacks",
    "paralysis",
    "leukaemia",
    "hair loss",
    "memory loss",
    "seizures",
    "asthma",
]
ACTORS = [
    "the ruling party",
    "hackers from Russia",
    "the electoral commission",
    "a foreign company",
    "the army",
    "the opposition",
    "a software update",
    "China",
    "the United Nations",
    "George Soros",
]
GROUPS = [
    "asylum seekers",
    "refugees",
    "migrants",
    "international students",
    "foreign workers",
    "new arrivals",
    "undocumented migrants",
]
MONEY = [
    "1,000 euros",
    "2,500 dollars",
    "800 pounds",
    "3,000 dollars",
    "1,200 euros",
    "500 pounds",
    "4,000 dollars",
    "1,800 euros",
]
FIGURES = [
    "Joe Biden",
    "Donald Trump",
    "Kamala Harris",
    "Barack Obama",
    "Keir Starmer",
    "Rishi Sunak",
    "Emmanuel Macron",
    "Olaf Scholz",
    "Friedrich Merz",
    "Giorgia Meloni",
    "Pedro Sánchez",
    "Lula",
    "Javier Milei",
    "Claudia Sheinbaum",
    "Justin Trudeau",
    "Narendra Modi",
    "William Ruto",
    "Bola Tinubu",
    "Cyril Ramaphosa",
    "Vladimir Putin",
    "Volodymyr Zelensky",
    "Xi Jinping",
    "Recep Tayyip Erdoğan",
    "Viktor Orbán",
    "Benjamin Netanyahu",
    "Anthony Albanese",
    "Boris Johnson",
]
CELEBS = [
    "Adele",
    "Ed Sheeran",
    "Drake",
    "Lady Gaga",
    "Tom Cruise",
    "Denzel Washington",
    "Angelina Jolie",
    "Harry Styles",
    "Bad Bunny",
    "Jackie Chan",
    "Shah Rukh Khan",
    "Burna Boy",
    "Wizkid",
    "Davido",
    "Kylie Minogue",
    "Celine Dion",
    "Billie Eilish",
    "Post Malone",
    "Zendaya",
    "Idris Elba",
    "Emma Watson",
    "Hugh Jackman",
    "Arnold Schwarzenegger",
    "Paul McCartney",
    "Mick Jagger",
]
ACCIDENTS = ["car crash", "helicopter crash", "boating accident", "house fire", "skiing accident", "plane crash"]
LANDMARKS = [
    "Big Ben",
    "the Colosseum",
    "the Sydney Opera House",
    "the Taj Mahal",
    "the Burj Khalifa",
    "the Brandenburg Gate",
    "Christ the Redeemer",
    "the Golden Gate Bridge",
    "the Leaning Tower of Pisa",
    "the Acropolis",
    "Table Mountain",
    "the CN Tower",
    "Tower Bridge",
    "the Sagrada Família",
    "the Petronas Towers",
    "Mount Fuji",
    "the Atomium",
    "the Little Mermaid statue",
]
LANDMARK_EVENTS = [
    "covered in snow",
    "struck by lightning",
    "lit up in the colours of the Palestinian flag",
    "lit up in the colours of the Israeli flag",
    "surrounded by floodwater",
    "engulfed in smoke",
    "with a giant crack down the middle",
    "under a red sky during a sandstorm",
    "wrapped in a huge advertising banner",
    "lit up in rainbow colours",
]
ACTIONS = [
    "falling asleep at a summit",
    "being booed at a football match",
    "dancing at a wedding",
    "refusing to shake hands with a king",
    "tripping on the stairs of a plane",
    "crying at a rally",
    "being slapped by a protester",
    "eating with bare hands at a state dinner",
    "wearing a fake tan",
    "laughing during a minute of silence",
    "arguing with a journalist",
    "being escorted out by police",
]
QUOTES = [
    "pensioners are a burden on the state",
    "the country will leave NATO",
    "taxes will double next year",
    "immigrants should be sent home",
    "the press is the enemy of the people",
    "climate change is a hoax",
    "the war will be over by Christmas",
    "everyone should own a gun",
    "the capital will be moved",
    "young people are too lazy to work",
    "the army should run the country",
    "voting should be abolished",
    "the national anthem will be changed",
    "the monarchy should be abolished",
    "the border will be closed",
]
BANS = [
    "disposable vapes",
    "wood-burning stoves",
    "plastic cutlery",
    "energy drinks for under-18s",
    "fireworks",
    "petrol lawnmowers",
    "patio heaters",
    "gas hobs",
    "smoking on beaches",
    "cash payments over 1,000 euros",
    "dogs on public transport",
    "barbecues in parks",
    "school uniforms",
    "homework in primary schools",
    "mobile phones in schools",
    "fast food adverts before 9pm",
    "single-use coffee cups",
    "diesel taxis",
]
COMPANIES = [
    "Starbucks",
    "KFC",
    "Zara",
    "H&M",
    "IKEA",
    "Carrefour",
    "Lidl",
    "Aldi",
    "Tesco",
    "Walmart",
    "Shoprite",
    "Nestlé",
    "Unilever",
    "Primark",
    "Decathlon",
    "Burger King",
    "Pizza Hut",
    "Uber",
]
APPS = ["WhatsApp", "Facebook", "TikTok", "Telegram", "Instagram", "Snapchat", "YouTube", "Signal", "Threads"]
ANIMALS = [
    "a lynx",
    "a puma",
    "a black bear",
    "a leopard",
    "a hyena",
    "a wolf",
    "a crocodile",
    "a python",
    "a wild boar",
    "a moose",
    "an escaped tiger",
    "a baboon",
    "a kangaroo",
    "a monitor lizard",
]
PLACES = [
    "in a shopping centre car park",
    "on a school playground",
    "near a motorway service station",
    "in a suburban garden",
    "at a golf course",
    "on a beach at dawn",
    "in a hospital car park",
    "beside a railway line",
    "in a city park",
]
SCAMS = [
    "fake parking fines are sent by text",
    "callers pretend to be from the tax office",
    "men offer free phone credit in markets",
    "fake couriers ask for a delivery fee",
    "strangers ask to borrow a phone to call their mother",
    "fake charity collectors go door to door",
    "fake bank staff ask customers to move their savings",
    "fake job offers ask for a registration fee",
]
STATS = [
    "unemployment rose to {n} per cent",
    "inflation reached {n} per cent",
    "youth unemployment hit {n} per cent",
    "the murder rate fell by {n} per cent",
    "house prices rose by {n} per cent",
    "petrol prices rose by {n} per cent",
    "child poverty rose by {n} per cent",
    "the birth rate fell by {n} per cent",
    "exports fell by {n} per cent",
    "the minimum wage rose by {n} per cent",
    "rents rose by {n} per cent",
    "electricity bills rose by {n} per cent",
]

TEMPLATES_EN = [
    lambda r: f"{r.choice(FOODS).capitalize()} cures {r.choice(DISEASES)}, according to {r.choice(SOURCES)}.",
    lambda r: f"Drinking {r.choice(FOODS)} every morning reverses {r.choice(DISEASES)}.",
    lambda r: f"The {r.choice(VACCINES)} vaccine causes {r.choice(CONDITIONS)} in children.",
    lambda r: (
        f"{r.choice(COUNTRIES)} has stopped giving the {r.choice(VACCINES)} vaccine because of {r.choice(CONDITIONS)}."
    ),
    lambda r: f"The {r.choice(YEARS)} election in {r.choice(COUNTRIES)} was rigged by {r.choice(ACTORS)}.",
    lambda r: f"Ballots in {r.choice(CITIES)} were counted before polls closed in the {r.choice(YEARS)} election.",
    lambda r: f"{r.choice(NUMBERS)},000 dead people voted in {r.choice(CITIES)} in {r.choice(YEARS)}.",
    lambda r: (
        f"{r.choice(GROUPS).capitalize()} in {r.choice(COUNTRIES)} receive {r.choice(MONEY)} a month from the state."
    ),
    lambda r: f"{r.choice(COUNTRIES)} is giving {r.choice(GROUPS)} free flats while locals wait for housing.",
    lambda r: f"{r.choice(COUNTRIES)} will deport all {r.choice(GROUPS)} by {r.choice(YEARS)}.",
    lambda r: f"Photo shows {r.choice(LANDMARKS)} {r.choice(LANDMARK_EVENTS)}.",
    lambda r: f"Video shows {r.choice(FIGURES)} {r.choice(ACTIONS)}.",
    lambda r: f"{r.choice(FIGURES)} said that {r.choice(QUOTES)}.",
    lambda r: f"{r.choice(CELEBS)} has died in a {r.choice(ACCIDENTS)}.",
    lambda r: f"{r.choice(CELEBS)} endorsed {r.choice(FIGURES)} for the next election.",
    lambda r: f"{r.choice(CELEBS)} was arrested in {r.choice(CITIES)} for tax fraud.",
    lambda r: f"{r.choice(COUNTRIES)} will ban {r.choice(BANS)} from {r.choice(FUTURE)}.",
    lambda r: f"{r.choice(CITIES)} council will fine residents for using {r.choice(BANS[:10])}.",
    lambda r: f"{r.choice(COMPANIES)} is closing all its shops in {r.choice(COUNTRIES)}.",
    lambda r: f"{r.choice(COMPANIES)} donated profits to the army of {r.choice(COUNTRIES)}.",
    lambda r: f"{r.choice(APPS)} will be banned in {r.choice(COUNTRIES)} from next month.",
    lambda r: f"{r.choice(APPS[2:])} will start charging users in {r.choice(COUNTRIES)} a monthly fee.",
    lambda r: f"{r.choice(ANIMALS).capitalize()} was spotted {r.choice(PLACES)} in {r.choice(CITIES)}.",
    lambda r: f"Police in {r.choice(CITIES)} warn of a scam in which {r.choice(SCAMS)}.",
    lambda r: f"In {r.choice(COUNTRIES)}, {r.choice(STATS).format(n=r.choice(NUMBERS))} in {r.choice(YEARS)}.",
    lambda r: f"{r.choice(CITIES)} will run out of drinking water in {r.choice(FUTURE)}.",
    lambda r: (
        f"A bridge in {r.choice(CITIES)} collapsed because of {r.choice(['cheap cement', 'rats', 'heavy lorries', 'a flood', 'sabotage', 'corrupt contractors'])}."
    ),
    lambda r: (
        f"Floods in {r.choice(CITIES)} were caused by {r.choice(['cloud seeding', 'a dam release', 'blocked drains', 'a weather weapon', 'illegal building', 'deforestation'])}."
    ),
    lambda r: (
        f"{r.choice(COUNTRIES)} sent {r.choice(NUMBERS)},000 soldiers to fight in {r.choice(['Ukraine', 'Sudan', 'Gaza', 'Congo', 'Syria', 'Yemen'])}."
    ),
    lambda r: f"Knife crime in {r.choice(CITIES)} rose by {r.choice(NUMBERS)} per cent in {r.choice(YEARS)}.",
]
TEMPLATES_OTHER = [
    (
        "es",
        lambda r: (
            f"El {r.choice(FOODS)} cura la {r.choice(['hipertensión', 'diabetes', 'gastritis', 'artritis', 'anemia'])} en una semana."
        ),
    ),
    (
        "es",
        lambda r: (
            f"Las elecciones de {r.choice(YEARS)} en {r.choice(['Perú', 'Bolivia', 'Ecuador', 'Honduras', 'Paraguay', 'Guatemala'])} fueron manipuladas."
        ),
    ),
    (
        "es",
        lambda r: (
            f"{r.choice(['Madrid', 'Bogotá', 'Lima', 'Quito', 'Sevilla', 'Rosario'])} prohibirá los coches de gasolina en {r.choice(FUTURE)}."
        ),
    ),
    (
        "fr",
        lambda r: (
            f"Le {r.choice(['gingembre', 'curcuma', 'miel', 'vinaigre', 'thé vert'])} guérit le {r.choice(['diabète', 'cancer', 'rhume', 'cholestérol'])} en dix jours."
        ),
    ),
    (
        "fr",
        lambda r: (
            f"Les élections de {r.choice(YEARS)} au {r.choice(['Cameroun', 'Gabon', 'Mali', 'Togo', 'Bénin', 'Niger'])} ont été truquées."
        ),
    ),
    (
        "de",
        lambda r: (
            f"{r.choice(['Hamburg', 'Köln', 'Dresden', 'Wien', 'Zürich', 'Stuttgart'])} verbietet ab {r.choice(FUTURE)} {r.choice(['Feuerwerk', 'Dieselautos', 'Grillen im Park', 'Laubbläser'])}."
        ),
    ),
    (
        "de",
        lambda r: (
            f"{r.choice(['Ingwer', 'Knoblauch', 'Zimt', 'Honig', 'Leinöl'])} heilt {r.choice(['Diabetes', 'Bluthochdruck', 'Rheuma', 'Migräne'])} ohne Medikamente."
        ),
    ),
    (
        "pt",
        lambda r: (
            f"O {r.choice(['alho', 'gengibre', 'limão', 'mel', 'boldo'])} cura a {r.choice(['diabetes', 'pressão alta', 'gastrite', 'anemia'])} em poucos dias."
        ),
    ),
    (
        "pt",
        lambda r: (
            f"{r.choice(['Recife', 'Salvador', 'Fortaleza', 'Manaus', 'Curitiba', 'Lisboa'])} vai proibir {r.choice(['motos', 'carros a diesel', 'fogos de artifício', 'ambulantes'])} a partir de {r.choice(FUTURE)}."
        ),
    ),
    (
        "ar",
        lambda r: (
            f"{r.choice(['الأردن', 'العراق', 'تونس', 'الجزائر', 'ليبيا', 'السودان'])} ستمنع {r.choice(['استيراد السيارات', 'التدخين في المقاهي', 'الألعاب النارية', 'الأكياس البلاستيكية'])} العام المقبل."
        ),
    ),
    (
        "ar",
        lambda r: (
            f"{r.choice(['الزنجبيل', 'العسل', 'الحبة السوداء', 'الكركم'])} يعالج {r.choice(['السكري', 'الضغط', 'السرطان', 'الربو'])} خلال أسبوع."
        ),
    ),
]


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.lower()) if len(w) > 3}


def hand_written() -> list[tuple[str, str]]:
    """(language, text) of every hand-written distractor, in file order."""
    out = []
    for path in sorted((HERE / "src").glob("distractors*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                language, text = line.split("|", 1)
                out.append((language, text.strip()))
    return out


def main() -> None:
    rng = random.Random(SEED)
    factchecks = [json.loads(line) for line in (HERE / "factchecks.jsonl").open(encoding="utf-8")]
    fc_words = [_words(fc["text"]) for fc in factchecks]
    items = hand_written()
    seen = {text.lower() for _, text in items} | {fc["text"].lower() for fc in factchecks}
    hand = len(items)

    def too_close(text: str) -> bool:
        words = _words(text)
        return any(len(words & fw) / max(1, len(words | fw)) >= 0.6 for fw in fc_words)

    while len(items) < TOTAL:
        if rng.random() < 0.1:
            language, template = rng.choice(TEMPLATES_OTHER)
        else:
            language, template = "en", rng.choice(TEMPLATES_EN)
        text = template(rng)
        if text.lower() in seen or too_close(text):
            continue
        seen.add(text.lower())
        items.append((language, text))
    with (HERE / "distractors.jsonl").open("w", encoding="utf-8") as out:
        for number, (language, text) in enumerate(items, 1):
            source = "hand" if number <= hand else "generated"
            row = {"id": f"d-{number:05d}", "text": text, "language": language, "source": source}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"distractors: {len(items)} ({hand} hand-written, {len(items) - hand} generated)")


if __name__ == "__main__":
    main()
