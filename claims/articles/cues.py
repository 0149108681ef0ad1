"""The cues of check-worthiness: what in a sentence looks like a factual claim, or pulls away from one.

Each detector reports a ``Reason`` with a hand-set signed strength: a figure, a date, a named
person, an attribution, a comparison, a cause, an event; or, pulling down, an opinion, a
question, a prediction, a hedge, a call to action, boilerplate. ``detect_cues`` runs them all.
The learned scorer (``claims.articles.checkworthiness``) rescales each cue and adds what the
wording says; ``rule_score`` is the hand-weighted logistic alone, kept as the baseline the learned
model is measured against. No model, no download, no Django: thousands of sentences a second.

Word lists exist for English, French, Spanish and German; other languages get the
English lists plus the language-independent cues (digits, %, currency, quotes, "?").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from django.utils.translation import pgettext_lazy

RULE_BASE = -1.3  # the hand-weighted baseline: a sentence with no cue at all scores about 0.21
MAX_ANALYSED_CHARS = 5000  # the API's sentence limit; a longer "sentence" is judged on its start
TOO_LONG_CHARS = 1500  # past this it is a page, a list or a paste, not one sentence
MIN_WORDS = 4


@dataclass(frozen=True)
class Reason:
    code: str  # stable machine code: "quantity", "date", ..., negative: "opinion", "question", ...
    weight: float  # signed contribution to the score (before the logistic)
    detail: str  # the words that triggered it


@dataclass(frozen=True)
class Cues:
    reasons: tuple[Reason, ...]  # with their hand-set strengths, in detection order
    speaker: str  # the attributed speaker, if any


# --- Word lists ------------------------------------------------------------------------------------
# Each entry is a regex fragment (mostly plain words); lists are joined into one alternation per cue.

_EN = {
    "number_words": r"""two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty fifty
        sixty seventy eighty ninety hundreds? thousands? millions? billions? trillions? dozens? half third quarter
        twice double triple percent per\ cent""",
    "units": r"""percent per\ cent percentage\ points? points? people persons? residents citizens voters workers
        jobs deaths dead cases patients children women men students years? months? weeks? days? hours? minutes?
        km kilometres? kilometers? miles? metres? meters? feet kg kilos? kilograms? tonnes? tons? litres? liters?
        degrees? dollars? euros? pounds? yen yuan rupees? cents? votes? seats? times households homes companies
        firms countries states members units barrels? acres? hectares? calories mg""",
    "multipliers": r"millions? billions? trillions? thousands? hundreds? bn mn m k",
    "months": r"""January February March April May June July August September October November December
        Jan\. Feb\. Mar\. Apr\. Jun\. Jul\. Aug\. Sept?\. Oct\. Nov\. Dec\.""",
    "weekdays": r"Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
    "relative_dates": r"""yesterday today tonight last\ (?:year|month|week|decade|century|night|spring|summer|autumn|fall|winter)
        this\ (?:year|month|week) in\ the\ past\ (?:year|decade|\w+\ years) since\ \d{4} decades? centur(?:y|ies)""",
    "attribution": r"""said says say told tells claimed claims claim stated states announced announces reported
        reports wrote writes tweeted posted added insisted insists argued argues explained explains confirmed
        confirms denied denies admitted admits warned warns alleged alleges noted notes declared declares
        estimated estimates testified revealed reveals disclosed acknowledged acknowledges maintained
        asserted asserts pointed\ out""",
    "according_to": r"according\ to as\ reported\ by citing cited\ by",
    "determiners": r"the a an his her their its our",
    "pronouns": r"he she they we I it",
    "titles": r"""President Prime\ Minister Minister Secretary Chancellor Senator Sen\. Governor Gov\. Mayor Judge
        Justice Dr\. Prof\. Professor Mr\. Mrs\. Ms\. Sir Dame Lord Lady King Queen Prince Princess Pope
        General Gen\. Colonel Captain Admiral Chief CEO Chairman Chairwoman Chair Director Ambassador
        Representative Rep\. Congressman Congresswoman Commissioner Sheriff Officer Rabbi Bishop Cardinal""",
    "roles": r"""minister ministers ministry government governments president spokesperson spokesman spokeswoman
        officials? authorities police court judge prosecutors? parliament congress senate council agency
        department company companies firm researchers scientists experts study report survey data figures
        statistics census analysts economists doctors health\ officials the\ army the\ military regulators?
        watchdog the\ opposition lawmakers legislators mayor governor chancellor""",
    "org_suffixes": r"""Inc Inc\. Ltd Ltd\. Corp Corp\. LLC plc PLC Group University Ministry Department Council Party
        Agency Bank Commission Institute Association Foundation Committee Authority Organisation Organization
        Court Parliament Congress Senate Union Fund Office Service Police Army Hospital""",
    "comparison": r"""more\ than less\ than fewer\ than greater\ than \w+er\ than as\ (?:many|much|high|low|few)\ as
        compared\ (?:with|to) in\ comparison up\ from down\ from increased increases increase decreased
        decreases decrease rose risen rises fell fallen falls grew grown growth declined declines decline
        dropped drops doubled tripled quadrupled halved surged soared plunged plummeted jumped slumped
        climbed shrank shrunk outnumber\w* record highest lowest largest biggest smallest fastest slowest
        the\ most the\ least the\ first\ time majority minority average per\ capita twice\ as
        tallest richest poorest deadliest worst-hit""",
    "causal": r"""because due\ to thanks\ to therefore as\ a\ result result\ of""",
    "causal_strong": r"""caused causes cause\ of led\ to leads\ to lead\ to resulted\ in results\ in linked\ to
        responsible\ for blamed\ for contributed\ to triggered attributed\ to prevents? cures? kills?
        increases\ the\ risk reduces\ the\ risk associated\ with""",
    "events": r"""arrested charged convicted sentenced jailed imprisoned killed died injured wounded elected
        appointed resigned fired sacked signed passed approved rejected vetoed banned launched closed opened
        voted won lost attacked invaded bombed visited met fined sued raided released published introduced
        cut raised spent paid received funded deported hired built destroyed founded acquired bought sold
        merged discovered recorded took\ place happened occurred collapsed crashed exploded struck evacuated
        imposed lifted scrapped abolished cancelled canceled postponed filed ruled overturned withdrew
        deployed seized shot murdered kidnapped detained expelled suspended ordered awarded granted
        invested borrowed lent donated earned reached hit""",
    "passive": r"(?:was|were|has\ been|have\ been|had\ been)\s+[a-z]+(?:ed|en)",
    "opinion_self": r"""I\ think I\ believe I\ feel I\ guess I\ suppose I\ reckon I\ hope I\ love I\ hate I\ like
        I\ prefer I\ doubt I'm\ sure I\ am\ sure I'm\ convinced we\ think we\ believe we\ feel we\ hope
        in\ my\ (?:opinion|view) personally to\ me in\ our\ (?:opinion|view) I\ wish""",
    "evaluative": r"""amazing awesome awful beautiful brilliant crazy delightful disgraceful disgusting dreadful
        excellent fantastic fabulous horrible horrific incredible insane lovely magnificent marvellous
        marvelous outrageous pathetic ridiculous shameful silly stupid terrible tremendous ugly unacceptable
        unbelievable wonderful absurd appalling scandalous idiotic nonsense disgrace shame nice great
        fun boring sad best\ ever worst\ ever""",
    "normative": r"should shouldn't must ought\ to need\ to needs\ to it\ is\ time\ to let's let\ us",
    "prediction": r"""will won't shall going\ to plans?\ to planning\ to expected\ to expects\ to set\ to
        forecast\ to predicted\ to projected\ to in\ the\ future next\ year someday one\ day""",
    "hedge": r"""could might may perhaps maybe possibly probably likely unlikely seems? seemed appears?\ to
        apparently somewhat arguably supposedly presumably it\ is\ possible some\ say rumou?red""",
    "cta_start": r"""subscribe click tap sign\ up sign\ in log\ in donate contact\ us learn\ more
        find\ out\ more check\ out don't\ miss do\ not\ miss email\ us send\ us tell\ us let\ us\ know
        leave\ a\ comment share\ (?:this|on|with|via|your|our|the\ (?:article|story|post)) read\ (?:more|the\ full|next)
        watch\ (?:the\ video|our|now|live|more) order\ (?:now|today|your|online) book\ (?:now|today|your)
        call\ (?:us|now|today) comment\ (?:below|on\ this) follow\ (?:us|me|@) support\ (?:us|our)
        register\ (?:now|today|here|for) enter\ (?:your|now) accept\ (?:all|cookies) try\ (?:it|our|now)
        visit\ (?:our|us|www) buy\ (?:now|your) download\ (?:the|our|now|it) join\ (?:us|our)
        get\ (?:the|our|your)\ (?:app|newsletter|latest|free|best) listen\ (?:now|to\ (?:the|our)\ (?:podcast|episode))
        add\ to\ (?:cart|basket) please""",
    "cta_anywhere": r"""click\ here subscribe\ to sign\ up\ for our\ newsletter follow\ us share\ this
        like\ us\ on join\ us tap\ here see\ more""",
    "boilerplate_start": r"""by photo photos image images picture video credit caption source updated published
        posted last\ updated filed\ under tags topics related read\ also see\ also also\ read more\ from
        advertisement sponsored comments? share\ on reporting\ by editing\ by written\ by""",
    "boilerplate_anywhere": r"""©|\(c\)\ \d{4} copyright all\ rights\ reserved cookies? privacy\ policy
        terms\ of\ (?:use|service) similar\ posts related\ (?:articles|posts|stories|content|topics)
        share\ this\ (?:article|story|post|page) min\ read minutes?\ read newsletter javascript
        your\ browser reading\ time skip\ to\ (?:content|main) back\ to\ top""",
}

_FR = {
    "number_words": r"""deux trois quatre cinq six sept huit neuf dix onze douze vingt trente quarante cinquante
        soixante cent cents mille millions? milliards? moitié tiers quart double triple pour\ cent""",
    "units": r"""pour\ cent % points? personnes habitants électeurs emplois morts décès cas patients enfants
        femmes hommes élèves ans années mois semaines jours heures km kilomètres kg tonnes litres degrés
        dollars euros livres voix sièges fois ménages entreprises pays""",
    "multipliers": r"millions? milliards? mille centaines? milliers? Md Mds M",
    "months": r"""janvier février mars avril mai juin juillet août septembre octobre novembre décembre
        janv\. févr\. avr\. juil\. sept\. oct\. nov\. déc\.""",
    "weekdays": r"lundi mardi mercredi jeudi vendredi samedi dimanche",
    "relative_dates": r"""hier aujourd'hui l'an\ dernier l'année\ dernière le\ mois\ dernier la\ semaine\ dernière
        cette\ année depuis\ \d{4}""",
    "attribution": r"""a\ déclaré a\ dit a\ affirmé affirme déclare dit a\ annoncé annonce a\ expliqué explique
        a\ indiqué indique a\ assuré assure a\ précisé précise a\ estimé a\ souligné souligne a\ reconnu
        a\ démenti a\ confirmé confirme a\ averti a\ rapporté a\ écrit a\ tweeté déclaré affirmé indiqué
        expliqué précisé""",
    "according_to": r"selon d'après",
    "determiners": r"le la les l' un une son sa ses leur",
    "pronouns": r"il elle ils elles on je nous",
    "titles": r"""Président Présidente Premier\ ministre Ministre M\. Mme Mme\. Dr Docteur Professeur Pr
        Sénateur Maire Député Députée Juge Général""",
    "roles": r"""ministre ministère gouvernement président porte-parole responsables autorités police
        gendarmerie tribunal justice parquet procureur parlement assemblée sénat conseil agence entreprise
        société chercheurs scientifiques experts étude rapport enquête données chiffres statistiques
        l'Insee maire préfet""",
    "org_suffixes": r"SA SAS SARL Université Ministère Conseil Parti Agence Banque Commission Institut Association",
    "comparison": r"""plus\ que moins\ que plus\ de moins\ de par\ rapport\ à a\ augmenté augmente augmentation
        a\ baissé baisse a\ diminué diminue diminution a\ progressé progression a\ chuté chute a\ doublé
        a\ triplé record le\ plus la\ plus les\ plus le\ moins hausse recul a\ reculé en\ moyenne""",
    "causal": r"parce\ que à\ cause\ de en\ raison\ de grâce\ à donc",
    "causal_strong": r"a\ causé cause provoqué provoque a\ entraîné entraîne lié\ à responsable\ de conduit\ à",
    "events": r"""arrêté arrêtée condamné condamnée tué tués mort morts blessé blessés élu élue nommé nommée
        démissionné signé adopté approuvé rejeté interdit lancé fermé ouvert voté gagné perdu attaqué
        visité publié introduit supprimé versé reçu financé expulsé construit détruit fondé racheté vendu
        a\ eu\ lieu s'est\ produit""",
    "passive": r"(?:a\ été|ont\ été|avait\ été|fut|furent)\s+[a-zéèêàç]+",
    "opinion_self": r"""je\ pense je\ crois je\ trouve j'estime à\ mon\ avis selon\ moi personnellement
        nous\ pensons nous\ croyons j'espère j'adore je\ déteste""",
    "evaluative": r"""magnifique merveilleux merveilleuse formidable génial géniale horrible affreux affreuse
        scandaleux scandaleuse honteux honteuse ridicule absurde lamentable inacceptable incroyable
        superbe stupide nul nulle désastreux terrible""",
    "normative": r"il\ faut doit doivent devrait devraient il\ est\ temps faudrait",
    "prediction": r"""va vont sera seront aura auront pourra prévoit prévu\ de devrait compte\ désormais
        à\ l'avenir l'an\ prochain l'année\ prochaine""",
    "hedge": r"""peut-être pourrait pourraient sans\ doute probablement semble semblent apparemment
        il\ est\ possible éventuellement""",
    "cta_start": r"""abonnez-vous partagez cliquez inscrivez-vous suivez-nous téléchargez lisez\ aussi lire\ aussi
        découvrez regardez rejoignez faites\ un\ don contactez-nous""",
    "cta_anywhere": r"cliquez\ ici abonnez-vous inscrivez-vous à\ notre\ newsletter suivez-nous partagez\ cet",
    "boilerplate_start": r"""par photo crédit source mis\ à\ jour publié à\ lire\ aussi lire\ aussi voir\ aussi
        sur\ le\ même\ sujet publicité""",
    "boilerplate_anywhere": r"""©|\(c\)\ \d{4} tous\ droits\ réservés cookies? politique\ de\ confidentialité
        articles\ similaires articles\ liés newsletter temps\ de\ lecture""",
}

_ES = {
    "number_words": r"""dos tres cuatro cinco seis siete ocho nueve diez once doce veinte treinta cuarenta
        cincuenta cien ciento mil millón millones mitad tercio cuarto doble triple por\ ciento""",
    "units": r"""por\ ciento % puntos? personas habitantes votantes empleos muertos muertes casos pacientes
        niños mujeres hombres años meses semanas días horas km kilómetros kg toneladas litros grados
        dólares euros pesos votos escaños veces hogares empresas países""",
    "multipliers": r"millones? mil miles millardos? cientos?",
    "months": r"""enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre diciembre
        ene\. feb\. abr\. ago\. sept?\. oct\. nov\. dic\.""",
    "weekdays": r"lunes martes miércoles jueves viernes sábado domingo",
    "relative_dates": r"ayer hoy el\ año\ pasado el\ mes\ pasado la\ semana\ pasada este\ año desde\ \d{4}",
    "attribution": r"""dijo afirmó declaró aseguró señaló explicó anunció indicó afirma asegura dice declara
        señala explica anuncia indica ha\ dicho ha\ afirmado ha\ declarado reconoció negó advirtió confirmó
        denunció sostuvo informó""",
    "according_to": r"según de\ acuerdo\ con",
    "determiners": r"el la los las un una su sus",
    "pronouns": r"él ella ellos ellas yo nosotros",
    "titles": r"""Presidente Presidenta Ministro Ministra Sr\. Sra\. Dr\. Dra\. Don Doña Senador Senadora
        Alcalde Alcaldesa Juez Jueza General Gobernador Gobernadora""",
    "roles": r"""ministro ministra ministerio gobierno presidente presidenta portavoz funcionarios autoridades
        policía tribunal juez fiscal fiscalía parlamento congreso senado consejo agencia empresa compañía
        investigadores científicos expertos estudio informe encuesta datos cifras estadísticas alcalde""",
    "org_suffixes": r"S\.A\. SA SL Universidad Ministerio Consejo Partido Agencia Banco Comisión Instituto Asociación",
    "comparison": r"""más\ que menos\ que más\ de menos\ de en\ comparación\ con respecto\ a aumentó aumenta
        aumento disminuyó disminuye disminución subió sube bajó baja creció crece crecimiento cayó cae
        caída se\ duplicó se\ triplicó récord el\ más la\ más los\ más las\ más el\ menor el\ mayor
        en\ promedio""",
    "causal": r"porque debido\ a a\ causa\ de gracias\ a por\ lo\ tanto como\ resultado",
    "causal_strong": r"causó causa provocó provoca llevó\ a vinculado\ a responsable\ de",
    "events": r"""detenido detenida arrestado arrestada condenado condenada asesinado asesinada murió muertos
        herido heridos elegido elegida nombrado nombrada dimitió renunció firmó aprobó aprobado rechazó
        prohibió lanzó cerró abrió votó ganó perdió atacó visitó publicó introdujo recortó pagó recibió
        financió deportó construyó destruyó fundó compró vendió tuvo\ lugar ocurrió""",
    "passive": r"(?:fue|fueron|ha\ sido|han\ sido)\s+[a-záéíóúñ]+(?:ado|ada|ido|ida)s?",
    "opinion_self": r"""creo\ que pienso\ que opino\ que en\ mi\ opinión personalmente para\ mí me\ parece
        creemos\ que pensamos\ que espero\ que""",
    "evaluative": r"""maravilloso maravillosa increíble horrible terrible vergonzoso vergonzosa ridículo ridícula
        absurdo absurda estupendo estupenda genial lamentable inaceptable escandaloso escandalosa estúpido
        precioso preciosa fantástico fantástica""",
    "normative": r"debería deberían debe deben hay\ que tiene\ que tienen\ que es\ hora\ de",
    "prediction": r"""será serán va\ a van\ a habrá podrá planea prevé previsto espera\ que en\ el\ futuro
        el\ próximo\ año""",
    "hedge": r"""quizás quizá tal\ vez posiblemente probablemente parece parecen podría podrían al\ parecer
        es\ posible""",
    "cta_start": r"""suscríbete comparte haz\ clic pulsa regístrate síguenos descarga lee\ también
        lea\ también mira únete dona contáctanos""",
    "cta_anywhere": r"haz\ clic\ aquí suscríbete regístrate síguenos nuestro\ boletín comparte\ este",
    "boilerplate_start": r"""por foto fotografía crédito fuente actualizado publicado lee\ también
        te\ puede\ interesar publicidad relacionado noticias\ relacionadas""",
    "boilerplate_anywhere": r"""©|\(c\)\ \d{4} todos\ los\ derechos\ reservados cookies? política\ de\ privacidad
        artículos\ relacionados boletín tiempo\ de\ lectura""",
}

_DE = {
    "number_words": r"""zwei drei vier fünf sechs sieben acht neun zehn elf zwölf zwanzig dreißig vierzig
        fünfzig hundert tausend Millionen? Milliarden? Hälfte Drittel Viertel doppelt doppelte Prozent""",
    "units": r"""Prozent Prozentpunkte? % Menschen Personen Einwohner Wähler Arbeitsplätze Tote Todesfälle Fälle
        Patienten Kinder Frauen Männer Schüler Jahre Jahren Monate Monaten Wochen Tage Tagen Stunden km
        Kilometer kg Tonnen Liter Grad Dollar Euro Pfund Stimmen Sitze Mal Haushalte Unternehmen Länder""",
    "multipliers": r"Millionen? Milliarden? Mio\. Mrd\. Tausend Hundert",
    "months": r"""Januar Jänner Februar März April Mai Juni Juli August September Oktober November Dezember
        Jan\. Febr?\. Apr\. Aug\. Sept?\. Okt\. Nov\. Dez\.""",
    "weekdays": r"Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonnabend Sonntag",
    "relative_dates": r"""gestern heute vergangenes\ Jahr vergangenen\ Jahr letztes\ Jahr letzten\ Monat
        vergangene\ Woche dieses\ Jahr seit\ \d{4}""",
    "attribution": r"""sagte sagt sagten erklärte erklärt betonte betont teilte\ mit kündigte\ an behauptete
        behauptet berichtete berichtet schrieb warnte warnt räumte\ ein bestätigte bestätigt dementierte
        versicherte verwies\ darauf""",
    "according_to": r"laut zufolge nach\ Angaben\ von nach\ Angaben\ der nach\ Angaben\ des",
    "determiners": r"der die das ein eine sein seine ihr ihre",
    "pronouns": r"er sie es wir ich",
    "titles": r"""Präsident Präsidentin Bundeskanzler Bundeskanzlerin Kanzler Kanzlerin Minister Ministerin
        Dr\. Prof\. Herr Frau Senator Bürgermeister Bürgermeisterin Richter Richterin General""",
    "roles": r"""Minister Ministerin Ministerium Regierung Bundesregierung Präsident Sprecher Sprecherin Behörden
        Behörde Polizei Gericht Staatsanwaltschaft Parlament Bundestag Rat Agentur Unternehmen Firma Forscher
        Wissenschaftler Experten Studie Bericht Umfrage Daten Zahlen Statistik Bürgermeister""",
    "org_suffixes": r"""GmbH AG SE KG e\.V\. Universität Ministerium Partei Agentur Bank Kommission Institut
        Verband Stiftung Bundesamt""",
    "comparison": r"""mehr\ als weniger\ als im\ Vergleich\ zu gegenüber stieg steigt gestiegen Anstieg sank
        sinkt gesunken Rückgang wuchs gewachsen Wachstum fiel gefallen verdoppelt verdreifacht halbiert
        Rekord höchste niedrigste größte kleinste am\ meisten im\ Durchschnitt""",
    "causal": r"weil wegen aufgrund dank daher deshalb infolge",
    "causal_strong": r"verursacht verursachte führte\ zu führt\ zu verantwortlich\ für",
    "events": r"""festgenommen verhaftet verurteilt getötet gestorben starb verletzt gewählt ernannt trat\ zurück
        zurückgetreten unterzeichnet verabschiedet genehmigt abgelehnt verboten gestartet geschlossen
        eröffnet gewann verlor angegriffen besuchte besucht veröffentlicht eingeführt gezahlt erhielt
        finanziert abgeschoben gebaut zerstört gegründet gekauft verkauft fand\ statt ereignete""",
    "passive": r"(?:wurde|wurden|ist|sind)\s+[a-zäöüß]+\s+(?:worden)",
    "opinion_self": r"""ich\ denke ich\ glaube ich\ finde meiner\ Meinung\ nach meines\ Erachtens persönlich
        wir\ glauben wir\ denken ich\ hoffe""",
    "evaluative": r"""wunderbar großartig schrecklich furchtbar skandalös schändlich lächerlich absurd toll
        fantastisch unglaublich inakzeptabel dumm peinlich herrlich""",
    "normative": r"sollte sollten muss müssen soll man\ muss es\ ist\ Zeit",
    "prediction": r"""wird werden plant planen soll\ künftig in\ Zukunft nächstes\ Jahr voraussichtlich
        erwartet""",
    "hedge": r"vielleicht möglicherweise wahrscheinlich scheint scheinen offenbar eventuell könnte könnten",
    "cta_start": r"""abonnieren abonnieren\ Sie teilen teilen\ Sie klicken klicken\ Sie registrieren folgen
        laden\ Sie lesen\ Sie\ auch lesen\ Sie\ mehr mehr\ lesen jetzt spenden""",
    "cta_anywhere": r"hier\ klicken jetzt\ abonnieren Newsletter\ abonnieren folgen\ Sie\ uns",
    "boilerplate_start": r"""von foto bild quelle aktualisiert veröffentlicht lesen\ sie\ auch mehr\ zum\ thema
        anzeige werbung""",
    "boilerplate_anywhere": r"""©|\(c\)\ \d{4} alle\ rechte\ vorbehalten cookies? datenschutzerklärung
        datenschutz ähnliche\ artikel newsletter lesezeit""",
}

_LEXICONS = {"en": _EN, "fr": _FR, "es": _ES, "de": _DE}

# --- Language-independent patterns -----------------------------------------------------------------

_UPPER = "A-ZÀ-ÖØ-ÞĀĂĄĆČĎĐĒĘĚĞĪŁŃŇŌŐŒŘŚŞŠŢŤŪŮŰŹŻŽ"
_WORD = re.compile(r"[^\W\d_](?:[\w'’-]*[^\W_])?")
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,  ]\d{3})*(?:[.,]\d+)?(?![\w])|\b\d+(?:st|nd|rd|th)\b")
_ALNUM = re.compile(r"[^\W_]+")
_PERCENT = re.compile(r"(?<![\d.,])\d(?:[\d.,  ]{0,30}\d)?\s?(?:%|‰)")
_MONEY = re.compile(
    r"[$€£¥₹]\s?\d[\d.,]{0,30}(?:\s?(?:bn|mn|m|k|billion|million|trillion)\b)?|(?<![\d.,])\d[\d.,]{0,30}\s?[$€£¥₹]"
)
_CURRENCY_CODE = re.compile(
    r"\b(?:USD|EUR|GBP|JPY|CHF|CNY|INR)\s?\d|(?<![\d.,])\d[\d.,]{0,30}\s?(?:USD|EUR|GBP|JPY|CHF|CNY|INR)\b"
)
_YEAR = re.compile(r"(?<![\d.,$€£])\b(?:1[89]\d\d|20\d\d)s?\b(?![.,]\d)")
_ACRONYM = re.compile(rf"\b[{_UPPER}]{{2,6}}s?\b|\b(?:[{_UPPER}]\.){{2,}}")
_QUOTED = re.compile(r"[\"“”«»„]([^\"“”«»„]{3,})[\"“”«»„]")
_QUESTION_END = re.compile(r"\?[\s\"'”’»)\]]*$")
_SENTENCE_OPENER = "\"“”«»„‘'(:;—–-•*[/|"
_ROMAN = re.compile(r"^(?:I{1,3}|IV|VI{0,3}|IX|XI{0,3})$")


def _alternation(words: str) -> str:
    """A word list ("a b per\\ cent") as one regex alternation, longest first; "\\ " is a space inside an entry."""
    return "|".join(sorted(re.split(r"(?<!\\)\s+", words.strip()), key=len, reverse=True))


@dataclass(frozen=True)
class _Patterns:
    """One language's cues, compiled once."""

    number_words: re.Pattern
    unit_after_number: re.Pattern
    months: re.Pattern
    weekdays: re.Pattern
    relative_dates: re.Pattern
    attribution: re.Pattern
    according_to: re.Pattern
    speaker_before: re.Pattern
    speaker_after: re.Pattern
    titles: re.Pattern
    roles: re.Pattern
    org_suffixes: frozenset
    comparison: re.Pattern
    causal: re.Pattern
    causal_strong: re.Pattern
    events: re.Pattern
    passive: re.Pattern
    opinion_self: re.Pattern
    evaluative: re.Pattern
    normative: re.Pattern
    prediction: re.Pattern
    hedge: re.Pattern
    cta_start: re.Pattern
    cta_anywhere: re.Pattern
    boilerplate_start: re.Pattern
    boilerplate_anywhere: re.Pattern
    function_words: frozenset
    single_capital_is_name: bool  # False where every noun is capitalised (German)


_CAPITALISED_FUNCTION_WORDS = """
    The A An This That These Those It Its He She They We I You Your Our Their His Her My But And Or So Yet If
    When While Where What Who Why How In On At For From With Without By To Of As After Before Since During
    There Here Then Now Today Yesterday Also However Meanwhile Still Even Just Not No Yes All Some Many Most
    Le La Les L Un Une Des Il Elle Ils Elles Nous Vous Je Et Mais Ou Dans Sur Pour Par Avec Selon Depuis Ce Cette
    El Los Las Una Unos Ella Ellos Yo Pero Según Desde Este Esta En Con Por Para
    Der Die Das Ein Eine Er Sie Es Wir Ich Und Aber Oder Im Am Auf Mit Nach Laut Seit Dieser Diese Dieses
"""


def _words(pattern_words: str, flags: int = re.IGNORECASE) -> re.Pattern:
    return re.compile(rf"(?<![\w'’-])(?:{_alternation(pattern_words)})(?![\w'’-])", flags)


# Words after "said" that never start a speaker's title ("said that Anna...", "said on Monday...").
_TITLE_STOP = "that|which|in|on|at|to|it|this|yesterday|today|during|after|before|when|while|last|on|by|with|for|from|about|into|que|dass"


@lru_cache(maxsize=16)
def _patterns(language: str) -> _Patterns:
    lex = _LEXICONS.get(language, _EN)
    name = rf"[{_UPPER}][\w'’.-]{{0,30}}(?:\s+(?:(?:of|for|de|del|van|von|der|al|bin|da|di|le|la)\s+)?[{_UPPER}][\w'’.-]{{0,30}}){{0,4}}"
    det = _alternation(lex["determiners"])
    lower = rf"(?!(?i:{det})\b)(?![{_UPPER}])[^\W\d_][\w'’-]{{0,30}}"
    role = rf"(?i:{det})\s*(?:{name}|{lower}(?:\s+{lower}){{0,2}})"
    pronoun = _alternation(lex["pronouns"])
    verbs = _alternation(lex["attribution"])
    speaker = rf"(?P<speaker>{name}|{role}|(?:{pronoun}))"
    multipliers = _alternation(lex["multipliers"])
    units = _alternation(lex["units"])
    appositive = r"(?:,\s+[^,\"“”«»]{1,80},)?"
    return _Patterns(
        number_words=_words(lex["number_words"]),
        unit_after_number=re.compile(
            rf"(?<![\d.,])\d(?:[\d.,  ]{{0,30}}\d)?\s?(?:(?:{multipliers})\s+)?(?:{units}|{multipliers})(?![\w])",
            re.IGNORECASE,
        ),
        months=_words(lex["months"], 0),
        weekdays=_words(lex["weekdays"], re.IGNORECASE),
        relative_dates=_words(lex["relative_dates"]),
        attribution=_words(verbs),
        according_to=re.compile(
            rf"(?<![\w])(?i:{_alternation(lex['according_to'])})\s+(?P<speaker>{name}|{role}|[^,.;:]{{2,60}})"
        ),
        speaker_before=re.compile(
            rf"(?<![\w'’-]){speaker}{appositive}\s+(?:has\s+|had\s+|have\s+)?(?:{verbs})(?![\w'’-])"
        ),
        # "said Anna Berg", "said the minister", and "said police chief Anna Berg" (a lower-case title before a name)
        speaker_after=re.compile(
            rf"(?<![\w'’-])(?:{verbs})(?:-t-(?:il|elle))?\s+"
            rf"(?P<speaker>{name}|{role}|(?!(?i:{_TITLE_STOP})\b){lower}(?:\s+{lower}){{0,2}}\s+{name})"
        ),
        titles=_words(lex["titles"], 0),
        roles=_words(lex["roles"], 0 if language == "de" else re.IGNORECASE),
        org_suffixes=frozenset(lex["org_suffixes"].replace("\\", "").split()),
        comparison=_words(lex["comparison"]),
        causal=_words(lex["causal"]),
        causal_strong=_words(lex["causal_strong"]),
        events=_words(lex["events"]),
        passive=re.compile(rf"(?<![\w]){lex['passive']}(?![\w])", re.IGNORECASE),
        opinion_self=_words(lex["opinion_self"]),
        evaluative=_words(lex["evaluative"], 0),  # lower case only: "Great Britain" is no opinion
        normative=_words(lex["normative"]),
        prediction=_words(lex["prediction"], 0),
        hedge=_words(lex["hedge"], 0),  # case-sensitive so that "May" (the month) is no hedge
        cta_start=re.compile(rf"^\W*(?:please\s+|bitte\s+)?(?:{_alternation(lex['cta_start'])})(?![\w'’-])", re.I),
        cta_anywhere=_words(lex["cta_anywhere"]),
        boilerplate_start=re.compile(
            rf"^\W*(?:{_alternation(lex['boilerplate_start'])})\b\s*(?P<mark>[:|/–—-])?", re.I
        ),
        boilerplate_anywhere=_words(lex["boilerplate_anywhere"]),
        function_words=frozenset(_CAPITALISED_FUNCTION_WORDS.split()),
        single_capital_is_name=language != "de",
    )


_BYLINE = re.compile(
    rf"^(?i:by|par|por|von)\s+[{_UPPER}][\w'’.-]*(?:,?\s+(?:and|&|et|y|und|[{_UPPER}][\w'’.-]*)){{0,6}}\W*$"
)


def _base_language(language: str) -> str:
    base = (language or "en").strip().lower().replace("_", "-").split("-")[0]
    return base if base in _LEXICONS else "en"


def _first(matches: list[str], limit: int = 3) -> str:
    seen: list[str] = []
    for match in matches:
        match = match.strip()
        if match and match not in seen:
            seen.append(match)
        if len(seen) == limit:
            break
    return ", ".join(seen)


# --- Cue detectors: each returns a Reason or None ---------------------------------------------------


def _quantity(text: str, p: _Patterns, years: set[str]) -> Reason | None:
    strong = [m.group() for m in _PERCENT.finditer(text)]
    strong += [m.group() for m in _MONEY.finditer(text)]
    strong += [m.group() for m in _CURRENCY_CODE.finditer(text)]
    strong += [m.group() for m in p.unit_after_number.finditer(text)]
    if strong:
        return Reason("quantity", 1.6, _first(strong))
    numbers = [m.group() for m in _NUMBER.finditer(text) if m.group() not in years]
    if numbers:
        return Reason("quantity", 1.1, _first(numbers))
    words = [m.group() for m in p.number_words.finditer(text)]
    if words:
        return Reason("quantity", 0.9, _first(words))
    embedded = [
        word
        for word in _ALNUM.findall(text)
        if len(word) <= 30 and any(c.isdigit() for c in word) and any(c.isalpha() for c in word)
    ]
    if embedded:
        return Reason("quantity", 0.4, _first(embedded))
    return None


def _date(text: str, p: _Patterns, years: set[str]) -> Reason | None:
    found = sorted(years, key=text.find)
    found += [m.group() for m in p.months.finditer(text)]
    found += [m.group() for m in p.weekdays.finditer(text)]
    found += [m.group() for m in p.relative_dates.finditer(text)]
    return Reason("date", 0.8, _first(found)) if found else None


def _is_opener(text: str, start: int) -> bool:
    """Whether a word at ``start`` begins a sentence or a quotation (so its capital says nothing)."""
    before = text[:start].rstrip()
    return not before or before[-1] in _SENTENCE_OPENER or before[-1] in ".!?"


def _entities(text: str, p: _Patterns, skip: set[str]) -> list[str]:
    """Named things without a model: runs of capitalised words, acronyms, titles, organisation suffixes."""
    names: list[str] = []
    run: list[str] = []
    run_opens_sentence = False

    def close_run() -> None:
        words = list(run)
        opener = run_opens_sentence
        while words and (words[0] in p.function_words or words[0] in skip):
            words.pop(0)
            opener = False
        while words and (words[-1] in p.function_words or words[-1] in skip):
            words.pop()
        if not words:
            return
        if len(words) == 1:
            word = words[0]
            if opener or len(word) < 2 or _ROMAN.match(word):
                return
            if not p.single_capital_is_name and word not in p.org_suffixes:
                return
        elif opener and len(words) < 2:
            return
        names.append(" ".join(words))

    position = 0
    for match in _WORD.finditer(text):
        word = match.group()
        gap = text[position : match.start()]
        position = match.end()
        capitalised = word[0].isupper()
        connector = word in {"of", "for", "de", "del", "van", "von", "der", "al", "bin", "da", "di"}
        if capitalised and (not run or gap.strip() == ""):
            if not run:
                run_opens_sentence = _is_opener(text, match.start())
            run.append(word)
            continue
        if run and connector and gap.strip() == "":
            run.append(word)
            continue
        if run:
            while run and not run[-1][0].isupper():
                run.pop()
            close_run()
            run = []
        if capitalised:
            run_opens_sentence = _is_opener(text, match.start())
            run = [word]
    if run:
        while run and not run[-1][0].isupper():
            run.pop()
        close_run()
    names += [m.group() for m in _ACRONYM.finditer(text) if not _ROMAN.match(m.group()) and m.group() != "I"]
    names += [m.group() for m in p.titles.finditer(text)]
    return names


def _entity(text: str, p: _Patterns, skip: set[str]) -> Reason | None:
    names = _entities(text, p, skip)
    if names:
        distinct = {name for name in names}
        return Reason("entity", 1.3 if len(distinct) > 1 else 1.0, _first(names))
    roles = [m.group() for m in p.roles.finditer(text)]
    return Reason("entity", 0.6, _first(roles)) if roles else None


_PRONOUN_SPEAKERS = {"he", "she", "they", "we", "i", "it", "il", "elle", "ils", "elles", "él", "ella", "er", "sie"}


def _clean_speaker(raw: str, p: _Patterns, skip: set[str]) -> str:
    words = raw.strip(" ,;:\"'“”«»").split()
    while words and (words[0] in p.function_words or words[0] in skip) and len(words) > 1:
        if words[0].lower() in {"the", "a", "an", "le", "la", "les", "el", "los", "las", "der", "die", "das"}:
            break  # "the minister": keep the article of a role
        words.pop(0)
    return " ".join(words).rstrip(".,;:")[:80]


def _attribution(text: str, p: _Patterns, skip: set[str]) -> tuple[Reason | None, str]:
    speaker = ""
    for pattern in (p.speaker_before, p.speaker_after, p.according_to):
        match = pattern.search(text)
        if match:
            candidate = _clean_speaker(match.group("speaker"), p, skip)
            if candidate and (not speaker or speaker.lower() in _PRONOUN_SPEAKERS):
                speaker = candidate
    verb = p.attribution.search(text)
    according = p.according_to.search(text)
    trigger = (verb.group() if verb else "") or (according.group().split()[0] if according else "")
    if not trigger:
        return None, ""
    weight = 1.0 if speaker else 0.7
    if _QUOTED.search(text) and speaker:
        weight = 1.2
    detail = f"{speaker}: {trigger}" if speaker else trigger
    return Reason("attribution", weight, detail), speaker


def _boilerplate(text: str, p: _Patterns, word_count: int) -> str:
    """Page furniture: bylines, credits, "Related:", cookie and copyright lines."""
    start = p.boilerplate_start.search(text)
    if start and (start.group("mark") or word_count <= 8):
        return start.group().strip(" :|/–—-")
    byline = _BYLINE.match(text)
    if byline:
        return byline.group().strip()
    anywhere = p.boilerplate_anywhere.search(text)
    return anywhere.group() if anywhere else ""


def _matches(pattern: re.Pattern, text: str) -> list[str]:
    return [m.group() for m in pattern.finditer(text)]


def detect_cues(sentence: str, language: str = "en") -> Cues:
    """Every cue that fires in one sentence; the same text and language always give the same result."""
    raw = sentence if isinstance(sentence, str) else ""
    text = " ".join(raw[:MAX_ANALYSED_CHARS].split())
    p = _patterns(_base_language(language))
    reasons: list[Reason] = []
    speaker = ""

    letters = sum(ch.isalpha() for ch in text)
    visible = sum(not ch.isspace() for ch in text)
    words = _WORD.findall(text)
    if len(raw) > TOO_LONG_CHARS:
        reasons.append(Reason("too_long", -6.0, f"{len(raw)} characters"))
    if visible and letters / visible < 0.5:
        reasons.append(Reason("boilerplate", -3.0, "not prose"))
    elif found := _boilerplate(text, p, len(words)):
        reasons.append(Reason("boilerplate", -3.0, found))
    if len(words) < MIN_WORDS:
        reasons.append(Reason("too_short", -1.8, f"{len(words)} words"))

    if letters:
        skip = set(_matches(p.months, text)) | set(_matches(p.weekdays, text))
        years = set(_YEAR.findall(text))
        for reason in (_quantity(text, p, years), _date(text, p, years), _entity(text, p, skip)):
            if reason:
                reasons.append(reason)
        attribution, speaker = _attribution(text, p, skip)
        if attribution:
            reasons.append(attribution)
        for code, pattern, weight in (
            ("comparison", p.comparison, 0.9),
            ("causal", p.causal_strong, 1.4),  # "X causes Y": a claim in itself
            ("causal", p.causal, 0.8),  # "because", "due to": a link inside a story
            ("event", p.events, 0.8),
        ):
            if code == "causal" and any(reason.code == "causal" for reason in reasons):
                continue
            found = _matches(pattern, text)
            if code == "event":
                found += _matches(p.passive, text)
            if found:
                reasons.append(Reason(code, weight, _first(found)))
        reasons += _negative_cues(text, p)

    return Cues(reasons=tuple(reasons), speaker=speaker)


def rule_score(sentence: str, language: str = "en") -> float:
    """The hand-weighted baseline: the logistic of ``RULE_BASE`` plus the cues' hand-set strengths."""
    total = RULE_BASE + sum(reason.weight for reason in detect_cues(sentence, language).reasons)
    return round(1.0 / (1.0 + math.exp(-total)), 3)


def _negative_cues(text: str, p: _Patterns) -> list[Reason]:
    reasons: list[Reason] = []
    opinion: list[tuple[float, str]] = []
    if found := _matches(p.opinion_self, text):
        opinion.append((-1.6, _first(found)))
    if found := _matches(p.evaluative, text):
        opinion.append((-1.2, _first(found)))
    if found := _matches(p.normative, text):
        opinion.append((-0.9, _first(found)))
    if text.rstrip("\"'”’») ").endswith("!"):
        opinion.append((-0.5, "!"))
    if opinion:
        strongest = min(weight for weight, _ in opinion)
        weight = max(-2.4, strongest - 0.3 * (len(opinion) - 1))
        reasons.append(Reason("opinion", round(weight, 3), "; ".join(detail for _, detail in opinion)))
    if _QUESTION_END.search(text) or text.startswith("¿"):
        reasons.append(Reason("question", -2.2, "?"))
    if found := _matches(p.prediction, text):
        reasons.append(Reason("prediction", -1.0, _first(found)))
    if found := _matches(p.hedge, text):
        reasons.append(Reason("hedge", -0.8, _first(found)))
    cta = p.cta_start.search(text) or p.cta_anywhere.search(text)
    if cta:
        reasons.append(Reason("call_to_action", -2.5, cta.group().strip()))
    return reasons


# How a reason reads on a page ("figure 4.2 percent (+1.6)").
REASON_LABELS = {
    "quantity": pgettext_lazy("check-worthiness reason", "figure"),
    "date": pgettext_lazy("check-worthiness reason", "date"),
    "entity": pgettext_lazy("check-worthiness reason", "named"),
    "attribution": pgettext_lazy("check-worthiness reason", "attributed"),
    "comparison": pgettext_lazy("check-worthiness reason", "comparison"),
    "causal": pgettext_lazy("check-worthiness reason", "cause"),
    "event": pgettext_lazy("check-worthiness reason", "event"),
    "opinion": pgettext_lazy("check-worthiness reason", "opinion"),
    "question": pgettext_lazy("check-worthiness reason", "question"),
    "prediction": pgettext_lazy("check-worthiness reason", "prediction"),
    "hedge": pgettext_lazy("check-worthiness reason", "hedge"),
    "call_to_action": pgettext_lazy("check-worthiness reason", "call to action"),
    "boilerplate": pgettext_lazy("check-worthiness reason", "boilerplate"),
    "too_short": pgettext_lazy("check-worthiness reason", "too short"),
    "too_long": pgettext_lazy("check-worthiness reason", "too long"),
    "wording": pgettext_lazy("check-worthiness reason", "wording"),
}
# The cues the learned scorer rescales (every reason but the embedding's "wording").
CUE_CODES = tuple(code for code in REASON_LABELS if code != "wording")
