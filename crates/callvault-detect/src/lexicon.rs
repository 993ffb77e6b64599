//! The word lexicon: one hash lookup per token tells every recognizer what a word can be (a first
//! name, a street suffix, a number word, a city...). Gazetteers come from public-domain and
//! openly licensed lists under `data/` (see `data/README.md`); small closed word classes are
//! written here. Built once per process; lookups never allocate.

use std::collections::HashMap;
use std::sync::OnceLock;

/// A small bit set of word classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct WordFlags(u32);

impl WordFlags {
    pub const FIRST_NAME: WordFlags = WordFlags(1);
    pub const SURNAME: WordFlags = WordFlags(1 << 1);
    /// A name that is also a common English word ("will", "grace"): a name only after a cue.
    pub const AMBIGUOUS_NAME: WordFlags = WordFlags(1 << 2);
    pub const CITY: WordFlags = WordFlags(1 << 3);
    pub const STATE: WordFlags = WordFlags(1 << 4);
    pub const STATE_CODE: WordFlags = WordFlags(1 << 5);
    pub const COUNTRY: WordFlags = WordFlags(1 << 6);
    /// First word of a multi-word place name ("new" of "new york").
    pub const PLACE_HEAD: WordFlags = WordFlags(1 << 7);
    pub const STREET_SUFFIX: WordFlags = WordFlags(1 << 8);
    pub const UNIT: WordFlags = WordFlags(1 << 9);
    pub const DIRECTION: WordFlags = WordFlags(1 << 10);
    pub const NUMBER_WORD: WordFlags = WordFlags(1 << 11);
    pub const MONTH: WordFlags = WordFlags(1 << 12);
    pub const ORDINAL: WordFlags = WordFlags(1 << 13);
    pub const TITLE: WordFlags = WordFlags(1 << 14);
    /// Function and everyday words that are never part of a name or street name.
    pub const STOP: WordFlags = WordFlags(1 << 15);
    /// Words that start a street name on their own ("rua", "via", "calle", "ul").
    pub const STREET_PREFIX: WordFlags = WordFlags(1 << 16);
    /// Top-level domains said in spoken e-mails ("com", "net").
    pub const TLD: WordFlags = WordFlags(1 << 17);
    /// Words that end an organization name ("inc", "llc", "orchestra"): not a person.
    pub const ORG: WordFlags = WordFlags(1 << 18);
    /// An ordinary lower-case English word (SCOWL). In lower-case speech, a word that is in
    /// none of the lists, not even this one, is most likely a name ("jasbir", "andreotti").
    pub const WORD: WordFlags = WordFlags(1 << 19);

    pub const fn empty() -> WordFlags {
        WordFlags(0)
    }
    pub const fn union(self, other: WordFlags) -> WordFlags {
        WordFlags(self.0 | other.0)
    }
    pub fn contains(self, other: WordFlags) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }
    pub fn intersects(self, other: WordFlags) -> bool {
        self.0 & other.0 != 0
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

pub(crate) struct Lexicon {
    words: HashMap<&'static str, WordFlags>,
    /// Multi-word place names, words joined by one space.
    places: HashMap<String, WordFlags>,
    longest_place: usize,
}

const FIRST_NAMES: &str = include_str!("../data/first_names.txt");
const SURNAMES: &str = include_str!("../data/surnames.txt");
const AMBIGUOUS_NAMES: &str = include_str!("../data/ambiguous_names.txt");
const CITIES: &str = include_str!("../data/cities.txt");
const COUNTRIES: &str = include_str!("../data/countries.txt");
const US_STATES: &str = include_str!("../data/us_states.txt");
const US_STATE_CODES: &str = include_str!("../data/us_state_codes.txt");
const COMMON_WORDS: &str = include_str!("../data/common_words.txt");

const STREET_SUFFIXES: &[&str] = &[
    "street",
    "st",
    "avenue",
    "ave",
    "av",
    "road",
    "rd",
    "way",
    "lane",
    "ln",
    "drive",
    "dr",
    "boulevard",
    "blvd",
    "court",
    "ct",
    "place",
    "pl",
    "parkway",
    "pkwy",
    "circle",
    "cir",
    "highway",
    "hwy",
    "row",
    "terrace",
    "ter",
    "square",
    "sq",
    "plaza",
    "plz",
    "trail",
    "trl",
    "pike",
    "alley",
    "loop",
    "crescent",
    "close",
    "walk",
    "expressway",
    "freeway",
    "turnpike",
    "path",
    "point",
    "pt",
    "run",
    "crossing",
    "green",
    "mall",
    "center",
    "centre",
    "heights",
    "hill",
    "hills",
    "park",
    "gardens",
    "grove",
    "mews",
    "gate",
    "wharf",
    "pier",
    "promenade",
    "esplanade",
    "broadway",
    "commons",
    "cove",
    "ridge",
    "view",
    "vista",
    "alameda",
    "camino",
    "real",
    "route",
    "rte",
    "ctr",
    "stravenue",
    "cres",
    "fwy",
    "expy",
    "tpke",
    "mt",
    "common",
    // European suffix words that stand alone.
    "strasse",
    "straße",
    "str",
    "gasse",
    "weg",
    "platz",
    "allee",
    "katu",
    "kuja",
    "tie",
    "vej",
    "veien",
    "vegen",
    "gatan",
    "gata",
    "vägen",
    "tér",
    "utca",
    "út",
    "ulica",
    "straat",
    "laan",
    "plein",
    "gade",
    "rue",
    "sq.",
    // Plural and rarer USPS suffixes, and European ones.
    "squares",
    "extensions",
    "extension",
    "rapids",
    "crossroad",
    "crossroads",
    "unions",
    "union",
    "points",
    "gateway",
    "courts",
    "coves",
    "isle",
    "pass",
    "loops",
    "junction",
    "villages",
    "valley",
    "views",
    "ridges",
    "estates",
    "causeway",
    "underpass",
    "overpass",
    "bypass",
    "motorway",
    "throughway",
    "plains",
    "shoals",
    "manors",
    "orchard",
    "prairie",
    "knolls",
    "harbor",
    "lakes",
    "terrasse",
    "torget",
    "tori",
    "rkp",
    "útja",
];

const STREET_PREFIXES: &[&str] = &[
    "rua",
    "via",
    "calle",
    "avenida",
    "ul",
    "ulica",
    "rue",
    "avenue",
    "piazza",
    "plaza",
    "praça",
    "largo",
    "travessa",
    "strada",
    "viale",
    "corso",
    "carrer",
    "paseo",
    "av",
    "avda",
    "boulevard",
    "camino",
    "estrada",
    "rodovia",
    "aleja",
    "al",
    "ulitsa",
    "box",
    "jalan",
    "rua",
    "psc",
];

const UNITS: &[&str] = &[
    "apt",
    "apartment",
    "suite",
    "ste",
    "unit",
    "floor",
    "fl",
    "room",
    "rm",
    "building",
    "bldg",
    "dept",
    "lot",
    "space",
    "spc",
    "trlr",
    "no",
    "nr",
];

const DIRECTIONS: &[&str] = &[
    "north",
    "south",
    "east",
    "west",
    "n",
    "s",
    "e",
    "w",
    "ne",
    "nw",
    "se",
    "sw",
    "northeast",
    "northwest",
    "southeast",
    "southwest",
];

pub(crate) const NUMBER_WORDS: &[(&str, u32)] = &[
    ("zero", 0),
    ("oh", 0),
    ("o", 0),
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("eleven", 11),
    ("twelve", 12),
    ("thirteen", 13),
    ("fourteen", 14),
    ("fifteen", 15),
    ("sixteen", 16),
    ("seventeen", 17),
    ("eighteen", 18),
    ("nineteen", 19),
    ("twenty", 20),
    ("thirty", 30),
    ("forty", 40),
    ("fourty", 40),
    ("fifty", 50),
    ("sixty", 60),
    ("seventy", 70),
    ("eighty", 80),
    ("ninety", 90),
    ("hundred", 100),
    ("thousand", 1000),
    ("double", 2),
    ("triple", 3),
    ("niner", 9),
];

pub(crate) const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("jan", 1),
    ("february", 2),
    ("feb", 2),
    ("march", 3),
    ("mar", 3),
    ("april", 4),
    ("apr", 4),
    ("may", 5),
    ("june", 6),
    ("jun", 6),
    ("july", 7),
    ("jul", 7),
    ("august", 8),
    ("aug", 8),
    ("september", 9),
    ("sep", 9),
    ("sept", 9),
    ("october", 10),
    ("oct", 10),
    ("november", 11),
    ("nov", 11),
    ("december", 12),
    ("dec", 12),
];

pub(crate) const ORDINALS: &[(&str, u32)] = &[
    ("first", 1),
    ("second", 2),
    ("third", 3),
    ("fourth", 4),
    ("fifth", 5),
    ("sixth", 6),
    ("seventh", 7),
    ("eighth", 8),
    ("ninth", 9),
    ("tenth", 10),
    ("eleventh", 11),
    ("twelfth", 12),
    ("thirteenth", 13),
    ("fourteenth", 14),
    ("fifteenth", 15),
    ("sixteenth", 16),
    ("seventeenth", 17),
    ("eighteenth", 18),
    ("nineteenth", 19),
    ("twentieth", 20),
    ("thirtieth", 30),
    ("st", 0),
    ("nd", 0),
    ("rd", 0),
    ("th", 0),
];

const TITLES: &[&str] = &[
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "dr",
    "doctor",
    "prof",
    "professor",
    "sir",
    "madam",
    "mister",
    "missus",
];

const TLDS: &[&str] = &[
    "com", "net", "org", "edu", "gov", "io", "co", "us", "uk", "de", "fr", "ca", "info", "biz",
    "me", "mil", "ai", "app", "dev", "au", "in", "nl", "se", "no", "dk", "fi", "es", "it", "pl",
    "br", "jp",
];

const ORG_WORDS: &[&str] = &[
    "inc",
    "llc",
    "ltd",
    "corp",
    "corporation",
    "company",
    "co",
    "plc",
    "gmbh",
    "group",
    "orchestra",
    "bank",
    "university",
    "college",
    "hospital",
    "clinic",
    "restaurant",
    "cafe",
    "bar",
    "grill",
    "hotel",
    "inn",
    "salon",
    "spa",
    "studio",
    "theater",
    "theatre",
    "church",
    "school",
    "academy",
    "institute",
    "foundation",
    "association",
    "partners",
    "associates",
    "services",
    "solutions",
    "systems",
    "technologies",
    "consulting",
    "incorporated",
    "airlines",
    // Companies and products callers name (payees, devices, insurers): not a person.
    "amazon",
    "netflix",
    "verizon",
    "comcast",
    "xfinity",
    "spotify",
    "hulu",
    "paypal",
    "walmart",
    "costco",
    "ebay",
    "uber",
    "lyft",
    "doordash",
    "grubhub",
    "airbnb",
    "geico",
    "allstate",
    "mastercard",
    "amex",
    "citibank",
    "usaa",
    "starbucks",
    "etsy",
    "youtube",
    "microsoft",
    "instacart",
    "walgreens",
    "safeway",
    "ikea",
    "google",
    "irs",
    "dmv",
    "cvs",
    "fedex",
    "usps",
    "att",
    "tmobile",
    "fitbit",
    "roku",
    "xbox",
    "playstation",
    "nintendo",
    "samsung",
    "iphone",
    "ipad",
    "macbook",
    "siri",
    "tiktok",
    "instagram",
    "facebook",
    "whatsapp",
    "snapchat",
    "linkedin",
    "dropbox",
    "venmo",
    "cashapp",
    "zelle",
    "sofi",
    "robinhood",
    "coinbase",
    "directv",
    "hbo",
    "espn",
    "dhl",
    "medicare",
    "medicaid",
    "humana",
    "aetna",
    "cigna",
    "unitedhealthcare",
    "bluecross",
    "statefarm",
    "equifax",
    "experian",
    "transunion",
    "citi",
    "wellsfargo",
    "capitalone",
    "shopify",
    "bestbuy",
    "homedepot",
    "wayfair",
    "expedia",
    "airport",
    "station",
    "market",
    "store",
    "shop",
    "pharmacy",
    "center",
    "kitchen",
    "bistro",
    "pizzeria",
    "tavern",
    "pub",
    "lounge",
    "brewery",
    "bakery",
    "diner",
    "steakhouse",
];

/// Everyday words that a capitalized sentence start or a title-cased venue name can show, and
/// that are never a person's name in our lists.
const STOP_WORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "and",
    "or",
    "but",
    "if",
    "of",
    "at",
    "by",
    "for",
    "with",
    "about",
    "to",
    "from",
    "in",
    "on",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "am",
    "i",
    "you",
    "he",
    "she",
    "it",
    "we",
    "they",
    "me",
    "him",
    "her",
    "us",
    "them",
    "my",
    "your",
    "his",
    "its",
    "our",
    "their",
    "this",
    "that",
    "these",
    "those",
    "there",
    "here",
    "what",
    "which",
    "who",
    "whom",
    "when",
    "where",
    "why",
    "how",
    "yes",
    "no",
    "not",
    "okay",
    "ok",
    "sure",
    "please",
    "thank",
    "thanks",
    "hello",
    "hi",
    "hey",
    "bye",
    "goodbye",
    "would",
    "could",
    "should",
    "can",
    "will",
    "shall",
    "may",
    "might",
    "must",
    "do",
    "does",
    "did",
    "have",
    "has",
    "had",
    "great",
    "good",
    "perfect",
    "alright",
    "right",
    "also",
    "just",
    "so",
    "then",
    "now",
    "today",
    "tomorrow",
    "yesterday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "street",
    "avenue",
    "road",
    "phone",
    "number",
    "address",
    "name",
    "email",
    "account",
    "card",
    "call",
    "let",
    "like",
    "want",
    "need",
    "find",
    "book",
    "make",
    "get",
    "is",
    "it's",
    "i'm",
    "that's",
    "there's",
    "let's",
    "don't",
    "can't",
    "won't",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "some",
    "any",
    "all",
    "every",
    "each",
    "new",
    "old",
    "other",
    "another",
    "more",
    "most",
    "very",
    "really",
    "well",
    "oh",
    "um",
    "uh",
    "appointment",
    "reservation",
    "restaurant",
    "hotel",
    "movie",
    "flight",
    "bus",
    "train",
    "doctor",
    "dentist",
    "therapist",
    "stylist",
    "salon",
    "transfer",
    "payment",
    "confirm",
    "please",
    "sorry",
    "welcome",
    "anything",
    "something",
    "nothing",
    "everything",
    "else",
    "located",
    "location",
    "rating",
    "review",
    "price",
    "cost",
    "total",
    "order",
    "item",
    "customer",
    "agent",
    "service",
    "support",
    "help",
    "information",
    "details",
    "date",
    "time",
    "pm",
    "am",
    "dollars",
    "bucks",
    "cents",
    "ticket",
    "tickets",
    "family",
    "counselor",
    "psychologist",
    "psychiatrist",
    "mom",
    "dad",
    "mother",
    "father",
    "sister",
    "brother",
    "friend",
    "wife",
    "husband",
    "son",
    "daughter",
    "via",
    "english",
    "spanish",
    "german",
    "french",
    "italian",
    "chinese",
    "indian",
    "mexican",
    "japanese",
    "thai",
    "american",
    "vegetarian",
    "food",
    "cuisine",
    "pizza",
    "coffee",
    "bar",
    "grill",
    "cafe",
];

impl Lexicon {
    /// The process-wide lexicon, built on first use (a few milliseconds).
    pub fn global() -> &'static Lexicon {
        static LEXICON: OnceLock<Lexicon> = OnceLock::new();
        LEXICON.get_or_init(Lexicon::build)
    }

    fn build() -> Lexicon {
        let mut lx = Lexicon {
            words: HashMap::with_capacity(100_000),
            places: HashMap::new(),
            longest_place: 1,
        };
        for w in lines(FIRST_NAMES) {
            lx.add(w, WordFlags::FIRST_NAME);
        }
        for w in lines(SURNAMES) {
            lx.add(w, WordFlags::SURNAME);
        }
        for w in lines(AMBIGUOUS_NAMES) {
            lx.add(w, WordFlags::AMBIGUOUS_NAME);
        }
        for w in lines(CITIES) {
            lx.add_place(w, WordFlags::CITY);
        }
        for w in lines(COUNTRIES) {
            lx.add_place(w, WordFlags::COUNTRY);
        }
        for w in lines(US_STATES) {
            lx.add_place(w, WordFlags::STATE);
        }
        for w in lines(US_STATE_CODES) {
            lx.add(w, WordFlags::STATE_CODE);
        }
        for w in lines(COMMON_WORDS) {
            lx.add(w, WordFlags::WORD);
        }
        let closed: [(&[&'static str], WordFlags); 8] = [
            (STREET_SUFFIXES, WordFlags::STREET_SUFFIX),
            (STREET_PREFIXES, WordFlags::STREET_PREFIX),
            (UNITS, WordFlags::UNIT),
            (DIRECTIONS, WordFlags::DIRECTION),
            (TITLES, WordFlags::TITLE),
            (TLDS, WordFlags::TLD),
            (ORG_WORDS, WordFlags::ORG),
            (STOP_WORDS, WordFlags::STOP),
        ];
        for (list, flag) in closed {
            for w in list {
                lx.add(w, flag);
            }
        }
        for (w, _) in NUMBER_WORDS {
            lx.add(w, WordFlags::NUMBER_WORD);
        }
        for (w, _) in MONTHS {
            lx.add(w, WordFlags::MONTH);
        }
        for (w, _) in ORDINALS {
            lx.add(w, WordFlags::ORDINAL);
        }
        // Name lists are corrected by the closed classes: a word that is a stop word, a number,
        // a month or a street word is not a name on its own.
        let not_names = WordFlags::STOP
            .union(WordFlags::NUMBER_WORD)
            .union(WordFlags::MONTH)
            .union(WordFlags::STREET_SUFFIX)
            .union(WordFlags::UNIT)
            .union(WordFlags::DIRECTION)
            .union(WordFlags::TITLE)
            .union(WordFlags::ORG)
            .union(WordFlags::AMBIGUOUS_NAME);
        let names = WordFlags::FIRST_NAME.union(WordFlags::SURNAME);
        for f in lx.words.values_mut() {
            if f.intersects(not_names) && f.intersects(names) {
                f.0 &= !names.0;
            }
        }
        lx
    }

    fn add(&mut self, word: &'static str, flag: WordFlags) {
        let e = self.words.entry(word).or_default();
        *e = e.union(flag);
    }

    fn add_place(&mut self, name: &'static str, flag: WordFlags) {
        let mut parts = name.split(' ');
        let first = parts.next().unwrap_or_default();
        let n = name.split(' ').count();
        if n == 1 {
            self.add(name, flag);
        } else {
            self.add(first, WordFlags::PLACE_HEAD);
            self.longest_place = self.longest_place.max(n);
            let e = self.places.entry(name.to_string()).or_default();
            *e = e.union(flag);
        }
    }

    pub fn flags(&self, lower: &str) -> WordFlags {
        self.words.get(lower).copied().unwrap_or_default()
    }

    /// Flags of a multi-word place name (words joined by single spaces), if it is one.
    pub fn place(&self, joined: &str) -> Option<WordFlags> {
        self.places.get(joined).copied()
    }

    pub fn longest_place(&self) -> usize {
        self.longest_place
    }
}

fn lines(s: &'static str) -> impl Iterator<Item = &'static str> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Value of a number word ("seventy" → 70, "oh" → 0).
pub(crate) fn number_value(lower: &str) -> Option<u32> {
    NUMBER_WORDS
        .iter()
        .find(|(w, _)| *w == lower)
        .map(|&(_, v)| v)
}

pub(crate) fn month_value(lower: &str) -> Option<u32> {
    MONTHS.iter().find(|(w, _)| *w == lower).map(|&(_, v)| v)
}

pub(crate) fn ordinal_value(lower: &str) -> Option<u32> {
    ORDINALS.iter().find(|(w, _)| *w == lower).map(|&(_, v)| v)
}
