#!/usr/bin/env python3
"""Writes positives.jsonl: hand-made, labelled PII cases for callvault-detect.

Every case is written out by hand below (no random generation). Running this
script validates every case before writing the file:

* each expected value is an exact substring of the turn it points to;
* checksums hold for CREDIT_CARD (Luhn + issuer prefix + length), ABA_ROUTING
  (ABA weights 3-7-1), IBAN_CODE (mod-97), and the SSA/IRS ranges hold for
  US_SSN and US_ITIN;
* spoken numbers are parsed back to digits for those checks ("oh" = 0,
  "double five" = 55, "seventy three" = 73 ...); a card or SSN split over
  several turns is checked on the concatenation of its parts.

The cards are issuer test numbers or Luhn-completed made-up numbers; the SSNs,
ITINs, phones (555-01xx), e-mails and people are invented; routing numbers
are public bank routing numbers; IBANs are the published example numbers.

Usage: python3 make_positives.py  (writes positives.jsonl beside this file)
"""
import json
import os
import re
import sys

TYPES = {
    "PERSON", "PHONE_NUMBER", "EMAIL_ADDRESS", "CREDIT_CARD", "CARD_CVV", "CARD_EXPIRY",
    "US_SSN", "US_ITIN", "BANK_ACCOUNT", "ABA_ROUTING", "IBAN_CODE", "DATE_OF_BIRTH",
    "STREET_ADDRESS", "ZIP_CODE", "LOCATION", "ACCOUNT_ID", "CREDENTIAL", "IP_ADDRESS",
    "US_DRIVER_LICENSE", "US_PASSPORT", "MEDICAL_RECORD_NUMBER", "HEALTH_PLAN_ID",
}

CASES = []


def one(speaker, text, expect, why):
    """Single-turn case; expect is a list of (TYPE, value)."""
    CASES.append({
        "turns": [{"speaker": speaker, "text": text}],
        "expect": [{"turn": 0, "type": t, "value": v} for t, v in expect],
        "why": why,
    })


def multi(turns, expect, why):
    """Multi-turn case; turns is [(speaker, text)], expect is [(turn, TYPE, value)]."""
    CASES.append({
        "turns": [{"speaker": s, "text": t} for s, t in turns],
        "expect": [{"turn": i, "type": t, "value": v} for i, t, v in expect],
        "why": why,
    })


C, A = "customer", "agent"

# --------------------------------------------------------------- PERSON
one(C, "Hi, my name is Jennifer Alvarez and I'm calling about my bill.",
    [("PERSON", "Jennifer Alvarez")], "self-introduction, written")
one(C, "hi this is michael okafor calling about the outage",
    [("PERSON", "michael okafor")], "ASR lower case self-introduction")
one(A, "Thank you for calling, my name is Derek, how can I help you today?",
    [("PERSON", "Derek")], "agent gives own first name")
one(C, "yeah the account is under my husband's name tomasz nowak",
    [("PERSON", "tomasz nowak")], "third party name with cue 'name'")
one(C, "my first name is grace g r a c e",
    [("PERSON", "grace"), ("PERSON", "g r a c e")], "ambiguous name after strong cue, plus spelled letters")
one(C, "last name is smith s m i t h",
    [("PERSON", "smith"), ("PERSON", "s m i t h")], "surname then spelled")
one(C, "my name's will will harrington",
    [("PERSON", "will harrington")], "ambiguous first name 'will' after cue, repeated")
one(A, "Am I speaking with Mrs. Patricia Kowalczyk?",
    [("PERSON", "Patricia Kowalczyk")], "agent verifies full name with title")
one(C, "its mark mark delaney d e l a n e y",
    [("PERSON", "mark delaney"), ("PERSON", "d e l a n e y")], "ambiguous first name + spelled surname")
one(C, "you can put it under june nakamura",
    [("PERSON", "june nakamura")], "ambiguous first name with unambiguous surname")
one(A, "I'll transfer you to my supervisor, Anthony Brooks.",
    [("PERSON", "Anthony Brooks")], "agent names a colleague")
one(C, "the card holder is my daughter, Aisha Rahman",
    [("PERSON", "Aisha Rahman")], "relative named")
one(C, "first name is siobhan that's s i o b h a n",
    [("PERSON", "siobhan"), ("PERSON", "s i o b h a n")], "unusual first name spelled out")
one(C, "this is doctor raymond ellis office calling",
    [("PERSON", "raymond ellis")], "name after title 'doctor'")

# --------------------------------------------------------------- PHONE_NUMBER
one(C, "You can reach me at (312) 555-0142.",
    [("PHONE_NUMBER", "(312) 555-0142")], "written US phone with parentheses")
one(C, "my cell is 415-555-0199",
    [("PHONE_NUMBER", "415-555-0199")], "dashed US phone")
one(C, "call me back on +1 646 555 0173 please",
    [("PHONE_NUMBER", "+1 646 555 0173")], "E.164-ish with spaces")
one(C, "my number is two one two five five five oh one nine eight",
    [("PHONE_NUMBER", "two one two five five five oh one nine eight")], "spoken digits with 'oh'")
one(C, "it's seven one eight double five five oh one three two",
    [("PHONE_NUMBER", "seven one eight double five five oh one three two")], "spoken with 'double five'")
one(C, "the number is eight one eight triple five zero one six seven",
    [("PHONE_NUMBER", "eight one eight triple five zero one six seven")], "spoken with 'triple five'")
one(C, "you can text me at 773.555.0110",
    [("PHONE_NUMBER", "773.555.0110")], "dotted US phone")
one(C, "my work line is 2025550164",
    [("PHONE_NUMBER", "2025550164")], "ten contiguous digits")
one(C, "home phone is six one seven five five five zero one two three",
    [("PHONE_NUMBER", "six one seven five five five zero one two three")], "spoken home phone")
one(C, "I'm in London, it's +44 20 7946 0958",
    [("LOCATION", "London"), ("PHONE_NUMBER", "+44 20 7946 0958")], "UK number and city")
one(C, "call me at nine seventy two five five five oh one eight eight",
    [("PHONE_NUMBER", "nine seventy two five five five oh one eight eight")], "area code said as 'nine seventy two'")
one(A, "I have your phone number as 503-555-0127, is that still correct?",
    [("PHONE_NUMBER", "503-555-0127")], "agent reads phone back")
one(C, "my cell's 404 555 oh one six one",
    [("PHONE_NUMBER", "404 555 oh one six one")], "mixed digits and words")
one(C, "the best number is 1-800-555-0199 extension 12",
    [("PHONE_NUMBER", "1-800-555-0199")], "toll-free with leading 1")

# --------------------------------------------------------------- EMAIL_ADDRESS
one(C, "my email is maria.gonzalez82@gmail.com",
    [("EMAIL_ADDRESS", "maria.gonzalez82@gmail.com")], "written e-mail")
one(C, "it's john dot smith at gmail dot com",
    [("EMAIL_ADDRESS", "john dot smith at gmail dot com")], "spoken e-mail with dot/at")
one(C, "send it to k underscore lee at yahoo dot com",
    [("EMAIL_ADDRESS", "k underscore lee at yahoo dot com")], "spoken e-mail with underscore")
one(C, "email is mike dash torres at outlook dot com",
    [("EMAIL_ADDRESS", "mike dash torres at outlook dot com")], "spoken e-mail with dash")
one(C, "Please send the receipt to d.okonkwo@company-mail.co.uk.",
    [("EMAIL_ADDRESS", "d.okonkwo@company-mail.co.uk")], "e-mail at sentence end, multi-part TLD")
one(C, "its b r i a n nine nine at hotmail dot com",
    [("EMAIL_ADDRESS", "b r i a n nine nine at hotmail dot com")], "spelled local part with number words")
one(A, "I have the email on file as s.patel+bills@proton.me.",
    [("EMAIL_ADDRESS", "s.patel+bills@proton.me")], "plus-addressed e-mail read back")
one(C, "my email address is jessica underscore w at icloud dot com",
    [("EMAIL_ADDRESS", "jessica underscore w at icloud dot com")], "spoken with underscore")
one(C, "email me at RJ.Whitaker@Example.org",
    [("EMAIL_ADDRESS", "RJ.Whitaker@Example.org")], "mixed case e-mail")
one(C, "it's tina at tinabakes dot net",
    [("EMAIL_ADDRESS", "tina at tinabakes dot net")], "short spoken e-mail")
one(C, "the email is f l o r e s j at gmail dot com",
    [("EMAIL_ADDRESS", "f l o r e s j at gmail dot com")], "fully spelled local part")

# --------------------------------------------------------------- CREDIT_CARD
one(C, "my card number is 4111 1111 1111 1111",
    [("CREDIT_CARD", "4111 1111 1111 1111")], "Visa test number, grouped")
one(C, "The card is 5555-5555-5555-4444.",
    [("CREDIT_CARD", "5555-5555-5555-4444")], "Mastercard test number, dashed")
one(C, "it's an amex 3782 822463 10005",
    [("CREDIT_CARD", "3782 822463 10005")], "Amex 4-6-5 grouping")
one(C, "discover card 6011111111111117",
    [("CREDIT_CARD", "6011111111111117")], "Discover, contiguous")
one(C, "the number is four five three two oh one five one one two eight three oh three six six",
    [("CREDIT_CARD", "four five three two oh one five one one two eight three oh three six six")],
    "Visa fully spoken, 'oh' for zero")
one(C, "card number forty five thirty two oh one fifty one twelve eighty three oh three sixty six",
    [("CREDIT_CARD", "forty five thirty two oh one fifty one twelve eighty three oh three sixty six")],
    "Visa spoken in pairs (tens/teens)")
one(C, "its five four nine eight one two seven three six four oh one nine two eight oh",
    [("CREDIT_CARD", "five four nine eight one two seven three six four oh one nine two eight oh")],
    "Mastercard spoken")
one(C, "ok the card is 4 1 1 1 one one one one 1111 one one one one",
    [("CREDIT_CARD", "4 1 1 1 one one one one 1111 one one one one")], "mixed digits and words")
one(C, "use my visa four oh one two double eight double eight double eight double eight one eight eight one",
    [("CREDIT_CARD", "four oh one two double eight double eight double eight double eight one eight eight one")],
    "Visa with 'double eight'")
one(C, "Card: 2223 0031 2200 3222",
    [("CREDIT_CARD", "2223 0031 2200 3222")], "Mastercard 2-series")
one(C, "the amex is three four eight eight one two nine oh four five six seven three three five",
    [("CREDIT_CARD", "three four eight eight one two nine oh four five six seven three three five")],
    "Amex spoken")
one(C, "my mastercard number is 5267 3319 0124 8571 expiring 04/28",
    [("CREDIT_CARD", "5267 3319 0124 8571"), ("CARD_EXPIRY", "04/28")], "card plus expiry")
one(C, "six five double oh two one four three seven seven eight nine oh one two three",
    [("CREDIT_CARD", "six five double oh two one four three seven seven eight nine oh one two three")],
    "Discover 65 prefix, spoken with 'double oh', no cue")
one(A, "I'm going to read that back: 4716 2543 1918 2739, correct?",
    [("CREDIT_CARD", "4716 2543 1918 2739")], "agent reads card back")
one(C, "it's 371449635398431",
    [("CREDIT_CARD", "371449635398431")], "Amex contiguous, weak cue")
one(C, "card number is six oh one one triple one one one one one one one one one seven",
    [("CREDIT_CARD", "six oh one one triple one one one one one one one one one seven")],
    "Discover with 'triple one'")

# --------------------------------------------------------------- CARD_CVV
one(C, "the security code on the back is 417",
    [("CARD_CVV", "417")], "CVV with cue 'security code'")
one(C, "cvv is four one seven",
    [("CARD_CVV", "four one seven")], "spoken CVV")
one(C, "the three digit code is nine oh two",
    [("CARD_CVV", "nine oh two")], "three digit code with 'oh'")
one(C, "CVC 8821 it's on the front since it's an amex",
    [("CARD_CVV", "8821")], "4-digit Amex CID")
one(C, "the cvv two is seven seventy",
    [("CARD_CVV", "seven seventy")], "CVV said as 'seven seventy'")
one(C, "card verification value is 0 5 3",
    [("CARD_CVV", "0 5 3")], "spaced digits")

# --------------------------------------------------------------- CARD_EXPIRY
one(C, "it expires 08/27",
    [("CARD_EXPIRY", "08/27")], "MM/YY expiry")
one(C, "expiration date is oh eight twenty seven",
    [("CARD_EXPIRY", "oh eight twenty seven")], "spoken MM YY")
one(C, "exp 11/2026",
    [("CARD_EXPIRY", "11/2026")], "MM/YYYY expiry")
one(C, "valid thru march twenty twenty eight",
    [("CARD_EXPIRY", "march twenty twenty eight")], "month name + spoken year")
one(C, "the card expires in december of twenty six",
    [("CARD_EXPIRY", "december of twenty six")], "month + 'of' + year")
one(C, "expiry is 1 29",
    [("CARD_EXPIRY", "1 29")], "short spoken expiry in digits")

# --------------------------------------------------------------- US_SSN
one(C, "my social security number is 536-22-1847",
    [("US_SSN", "536-22-1847")], "dashed SSN with cue")
one(C, "social is five three six two two one eight four seven",
    [("US_SSN", "five three six two two one eight four seven")], "spoken SSN")
one(C, "SSN 412 77 9031",
    [("US_SSN", "412 77 9031")], "spaced SSN")
one(C, "my social's two one nine oh nine four four one two",
    [("US_SSN", "two one nine oh nine four four one two")], "spoken with 'oh'")
one(C, "the ssn on the application was 048729553",
    [("US_SSN", "048729553")], "nine contiguous digits with cue")
one(C, "it's six seventy one double four eight two oh six",
    [("US_SSN", "six seventy one double four eight two oh six")],
    "SSN with 'seventy one' and 'double four' (context: social asked before)")
one(A, "I have the last four of the social as 3318, and the full number is 287-40-3318.",
    [("US_SSN", "287-40-3318")], "agent reads SSN")
one(C, "social security number seven seven one dash five oh dash two two nine eight",
    [("US_SSN", "seven seven one dash five oh dash two two nine eight")], "spoken with 'dash'")

# --------------------------------------------------------------- US_ITIN
one(C, "I don't have a social, my ITIN is 912-78-3456",
    [("US_ITIN", "912-78-3456")], "ITIN dashed")
one(C, "my itin is nine four four eight one two two seven three",
    [("US_ITIN", "nine four four eight one two two seven three")], "spoken ITIN")
one(C, "taxpayer id number 983 72 0415",
    [("US_ITIN", "983 72 0415")], "ITIN spaced")
one(C, "the individual taxpayer number is nine oh one eight eight six six four one",
    [("US_ITIN", "nine oh one eight eight six six four one")], "spoken ITIN with 'oh'")
one(C, "ITIN 957850012",
    [("US_ITIN", "957850012")], "ITIN contiguous")

# --------------------------------------------------------------- BANK_ACCOUNT
one(C, "my checking account number is 4471920385",
    [("BANK_ACCOUNT", "4471920385")], "checking account with cue")
one(C, "the savings account is three three oh nine one two seven seven four",
    [("BANK_ACCOUNT", "three three oh nine one two seven seven four")], "spoken savings account")
one(C, "for direct deposit use bank account 000123456789",
    [("BANK_ACCOUNT", "000123456789")], "bank account with leading zeros")
one(C, "my bank account number is 8823 1104 7765",
    [("BANK_ACCOUNT", "8823 1104 7765")], "grouped bank account")
one(C, "checking account ending uh it's two two eight four six one nine oh three",
    [("BANK_ACCOUNT", "two two eight four six one nine oh three")], "spoken after filler")
one(A, "The payment will be drafted from checking account 71204859.",
    [("BANK_ACCOUNT", "71204859")], "agent reads bank account")

# --------------------------------------------------------------- ABA_ROUTING
one(C, "the routing number is 021000021",
    [("ABA_ROUTING", "021000021")], "ABA routing, written")
one(C, "routing is zero two six zero zero nine five nine three",
    [("ABA_ROUTING", "zero two six zero zero nine five nine three")], "spoken routing")
one(C, "my routing number is one two one oh oh oh three five eight",
    [("ABA_ROUTING", "one two one oh oh oh three five eight")], "spoken routing with 'oh'")
one(C, "ABA 322271627",
    [("ABA_ROUTING", "322271627")], "ABA cue")
one(C, "routing number oh three one one seven six one one oh",
    [("ABA_ROUTING", "oh three one one seven six one one oh")], "spoken, starts with 'oh'")
one(C, "the transit number on the check is 071000013",
    [("ABA_ROUTING", "071000013")], "routing with cue 'transit number'")
one(C, "routing 0 4 4 0 0 0 0 3 7",
    [("ABA_ROUTING", "0 4 4 0 0 0 0 3 7")], "spaced digits")

# --------------------------------------------------------------- IBAN_CODE
one(C, "my IBAN is GB82 WEST 1234 5698 7654 32",
    [("IBAN_CODE", "GB82 WEST 1234 5698 7654 32")], "UK IBAN grouped")
one(C, "IBAN DE89370400440532013000",
    [("IBAN_CODE", "DE89370400440532013000")], "German IBAN contiguous")
one(C, "the iban is FR14 2004 1010 0505 0001 3M02 606",
    [("IBAN_CODE", "FR14 2004 1010 0505 0001 3M02 606")], "French IBAN with letter in BBAN")
one(C, "send it to NL91ABNA0417164300 please",
    [("IBAN_CODE", "NL91ABNA0417164300")], "Dutch IBAN, no cue")
one(C, "the account is ES91 2100 0418 4502 0005 1332",
    [("IBAN_CODE", "ES91 2100 0418 4502 0005 1332")], "Spanish IBAN")
one(C, "my iban is ch93 0076 2011 6238 5295 7",
    [("IBAN_CODE", "ch93 0076 2011 6238 5295 7")], "Swiss IBAN, lower case")
one(A, "The beneficiary IBAN is IE29 AIBK 9311 5212 3456 78.",
    [("IBAN_CODE", "IE29 AIBK 9311 5212 3456 78")], "Irish IBAN read by agent")

# --------------------------------------------------------------- DATE_OF_BIRTH
one(C, "my date of birth is 03/14/1985",
    [("DATE_OF_BIRTH", "03/14/1985")], "written DOB with cue")
one(C, "I was born on july fourth nineteen seventy six",
    [("DATE_OF_BIRTH", "july fourth nineteen seventy six")], "spoken DOB with 'born on'")
one(C, "dob is one two one five eight nine",
    [("DATE_OF_BIRTH", "one two one five eight nine")], "MMDDYY digits spoken")
one(C, "birthday is the twenty second of may nineteen ninety",
    [("DATE_OF_BIRTH", "the twenty second of may nineteen ninety")], "ordinal day-of-month form")
one(C, "Date of birth: 1979-11-02.",
    [("DATE_OF_BIRTH", "1979-11-02")], "ISO DOB")
one(C, "she was born february ninth two thousand and five",
    [("DATE_OF_BIRTH", "february ninth two thousand and five")], "year as 'two thousand and five'")
one(C, "my birth date is January 8, 1962",
    [("DATE_OF_BIRTH", "January 8, 1962")], "written long form")
one(C, "d o b oh six slash oh three slash eighty eight",
    [("DATE_OF_BIRTH", "oh six slash oh three slash eighty eight")], "spoken with 'slash'")

# --------------------------------------------------------------- STREET_ADDRESS
one(C, "I live at 1427 Maple Avenue, Apt 3",
    [("STREET_ADDRESS", "1427 Maple Avenue, Apt 3")], "written street address with unit")
one(C, "my address is twelve thirty four oak street",
    [("STREET_ADDRESS", "twelve thirty four oak street")], "spoken house number 'twelve thirty four'")
one(C, "ship it to 88 Pine St Apt 5B",
    [("STREET_ADDRESS", "88 Pine St Apt 5B")], "abbreviated suffix and unit")
one(C, "it's nine oh one east elm drive",
    [("STREET_ADDRESS", "nine oh one east elm drive")], "spoken with direction")
one(C, "the billing address is 2250 W. Cortland Blvd., Suite 210",
    [("STREET_ADDRESS", "2250 W. Cortland Blvd., Suite 210")], "written with suite")
one(C, "send it to p o box forty four seventy one",
    [("STREET_ADDRESS", "p o box forty four seventy one")], "spoken PO box")
one(C, "my new address is 6 Harbor View Lane",
    [("STREET_ADDRESS", "6 Harbor View Lane")], "single-digit house number")
one(C, "its three fifteen north willow court unit twelve",
    [("STREET_ADDRESS", "three fifteen north willow court unit twelve")], "spoken with unit")
one(C, "deliver to 1600 Riverside Pkwy",
    [("STREET_ADDRESS", "1600 Riverside Pkwy")], "abbreviated parkway")
one(C, "we're at seventeen twenty two old mill road",
    [("STREET_ADDRESS", "seventeen twenty two old mill road")], "spoken, multiword street name")

# --------------------------------------------------------------- ZIP_CODE
one(C, "zip code is 60614",
    [("ZIP_CODE", "60614")], "ZIP with cue")
one(C, "my zip is nine oh two one oh",
    [("ZIP_CODE", "nine oh two one oh")], "spoken ZIP with 'oh'")
one(C, "ZIP 10001-2231",
    [("ZIP_CODE", "10001-2231")], "ZIP+4")
one(C, "the zip code there is three three one three nine",
    [("ZIP_CODE", "three three one three nine")], "spoken ZIP")
one(C, "my zip code's seven eight seven oh one",
    [("ZIP_CODE", "seven eight seven oh one")], "contraction cue")
one(C, "postal code 02139",
    [("ZIP_CODE", "02139")], "leading zero ZIP")
one(C, "zip is double oh six nine eight",
    [("ZIP_CODE", "double oh six nine eight")], "Puerto Rico ZIP with 'double oh'")

# --------------------------------------------------------------- LOCATION
one(C, "I'm calling from Denver",
    [("LOCATION", "Denver")], "city after 'calling from'")
one(C, "we moved to austin texas last year",
    [("LOCATION", "austin"), ("LOCATION", "texas")], "city and state, lower case")
one(C, "I live in Springfield, Illinois.",
    [("LOCATION", "Springfield"), ("LOCATION", "Illinois")], "city, state written")
one(C, "my mom lives in san antonio",
    [("LOCATION", "san antonio")], "multiword city")
one(C, "I'm currently in Canada on vacation",
    [("LOCATION", "Canada")], "country")
one(C, "the branch in north carolina",
    [("LOCATION", "north carolina")], "multiword state")
one(C, "I'm from São Paulo originally",
    [("LOCATION", "São Paulo")], "accented city name")
one(C, "i live in sao paulo",
    [("LOCATION", "sao paulo")], "ascii-folded city name")
one(C, "we're out in tucson arizona",
    [("LOCATION", "tucson"), ("LOCATION", "arizona")], "city and state, ASR")

# --------------------------------------------------------------- ACCOUNT_ID
one(C, "my account number is 48213907",
    [("ACCOUNT_ID", "48213907")], "customer account number with cue")
one(C, "member ID is XJ4-882-193",
    [("ACCOUNT_ID", "XJ4-882-193")], "alphanumeric member id")
one(C, "order number 112-3344556-7788990",
    [("ACCOUNT_ID", "112-3344556-7788990")], "marketplace-style order number")
one(C, "my policy number is HG 4471 2290",
    [("ACCOUNT_ID", "HG 4471 2290")], "insurance policy number")
one(C, "the account number with you guys is four eight two one three nine oh seven",
    [("ACCOUNT_ID", "four eight two one three nine oh seven")], "spoken account number")
one(C, "ticket number 88214",
    [("ACCOUNT_ID", "88214")], "support ticket number (5 digits, cue says ticket not ZIP)")
one(C, "my customer number is c nine nine three one two",
    [("ACCOUNT_ID", "c nine nine three one two")], "spoken letter + digits")
one(C, "confirmation number is QX7R2M",
    [("ACCOUNT_ID", "QX7R2M")], "booking confirmation code")
one(A, "Your case number is 2024-118734 for future reference.",
    [("ACCOUNT_ID", "2024-118734")], "agent gives case number")
one(C, "loyalty member number seven seven one oh four four two nine",
    [("ACCOUNT_ID", "seven seven one oh four four two nine")], "spoken loyalty member number")

# --------------------------------------------------------------- CREDENTIAL
one(C, "my pin is four three two one",
    [("CREDENTIAL", "four three two one")], "spoken PIN")
one(C, "the password is sunshine42",
    [("CREDENTIAL", "sunshine42")], "password")
one(C, "passcode 7781",
    [("CREDENTIAL", "7781")], "passcode digits")
one(C, "my security answer is fluffy",
    [("CREDENTIAL", "fluffy")], "security question answer")
one(C, "the verbal password on the account is blue heron",
    [("CREDENTIAL", "blue heron")], "two-word verbal password")
one(C, "pin number is one nine nine four",
    [("CREDENTIAL", "one nine nine four")], "PIN that looks like a year")
one(C, "my password is capital t tiger underscore nine nine",
    [("CREDENTIAL", "capital t tiger underscore nine nine")], "spoken password with 'capital' and 'underscore'")
one(C, "the wifi password is Tr0ub4dor&3",
    [("CREDENTIAL", "Tr0ub4dor&3")], "password with symbols")
one(C, "my mother's maiden name, that's the security question, answer is hollowell",
    [("CREDENTIAL", "hollowell")], "security answer (maiden name as credential)")
one(C, "the one time code you sent is 482 913",
    [("CREDENTIAL", "482 913")], "one-time passcode")

# --------------------------------------------------------------- IP_ADDRESS
one(C, "my IP address is 73.12.40.104",
    [("IP_ADDRESS", "73.12.40.104")], "public IPv4")
one(C, "the router is at 192.168.1.254",
    [("IP_ADDRESS", "192.168.1.254")], "private IPv4")
one(C, "it says seventy three dot twelve dot forty dot one oh four",
    [("IP_ADDRESS", "seventy three dot twelve dot forty dot one oh four")], "spoken IPv4")
one(C, "the ip is one nine two dot one six eight dot zero dot one",
    [("IP_ADDRESS", "one nine two dot one six eight dot zero dot one")], "spoken digit-by-digit IPv4")
one(C, "IPv6 address 2001:db8:85a3::8a2e:370:7334",
    [("IP_ADDRESS", "2001:db8:85a3::8a2e:370:7334")], "IPv6 compressed")
one(A, "I see the last login came from 98.213.7.55.",
    [("IP_ADDRESS", "98.213.7.55")], "IPv4 at sentence end")
one(C, "the address on my modem page is 10.0.0.138",
    [("IP_ADDRESS", "10.0.0.138")], "private IPv4 10/8")

# --------------------------------------------------------------- US_DRIVER_LICENSE
one(C, "my driver's license number is D4410287",
    [("US_DRIVER_LICENSE", "D4410287")], "California-style letter + 7 digits")
one(C, "drivers license is d four four one oh two eight seven",
    [("US_DRIVER_LICENSE", "d four four one oh two eight seven")], "spoken DL")
one(C, "license number S530-4607-5123",
    [("US_DRIVER_LICENSE", "S530-4607-5123")], "Illinois-style dashed DL")
one(C, "my DL is 123 456 789 from New York",
    [("US_DRIVER_LICENSE", "123 456 789"), ("LOCATION", "New York")], "9-digit DL and state")
one(C, "driver license number W426-545-30-761-0",
    [("US_DRIVER_LICENSE", "W426-545-30-761-0")], "Florida-style DL")
one(C, "the license number on my ID is B as in boy seven seven two nine three one four",
    [("US_DRIVER_LICENSE", "B as in boy seven seven two nine three one four")], "phonetic letter 'B as in boy'")

# --------------------------------------------------------------- US_PASSPORT
one(C, "my passport number is 512384976",
    [("US_PASSPORT", "512384976")], "9-digit passport")
one(C, "passport is five one two three eight four nine seven six",
    [("US_PASSPORT", "five one two three eight four nine seven six")], "spoken passport")
one(C, "US passport A12345678",
    [("US_PASSPORT", "A12345678")], "next-generation letter + 8 digits")
one(C, "the passport number is c oh three double five one eight two four",
    [("US_PASSPORT", "c oh three double five one eight two four")], "spoken next-gen passport")
one(A, "Passport on file ends... full number 488 190 273.",
    [("US_PASSPORT", "488 190 273")], "grouped passport read by agent")

# --------------------------------------------------------------- MEDICAL_RECORD_NUMBER
one(C, "the MRN on the discharge papers is 00482913",
    [("MEDICAL_RECORD_NUMBER", "00482913")], "MRN with cue")
one(C, "medical record number is seven seven three four five five two one",
    [("MEDICAL_RECORD_NUMBER", "seven seven three four five five two one")], "spoken MRN")
one(C, "my chart number at the clinic is MR-2019-44817",
    [("MEDICAL_RECORD_NUMBER", "MR-2019-44817")], "chart number with year-like part")
one(A, "I pulled up medical record 7734-5521 for the patient.",
    [("MEDICAL_RECORD_NUMBER", "7734-5521")], "agent reads MRN")
one(C, "patient id on the wristband was h one one four eight eight two",
    [("MEDICAL_RECORD_NUMBER", "h one one four eight eight two")], "hospital patient id spoken")

# --------------------------------------------------------------- HEALTH_PLAN_ID
one(C, "my medicare number is 1EG4-TE5-MK73",
    [("HEALTH_PLAN_ID", "1EG4-TE5-MK73")], "Medicare MBI")
one(C, "health plan id is XEH912345678",
    [("HEALTH_PLAN_ID", "XEH912345678")], "health plan subscriber id")
one(C, "my insurance subscriber id is w two two eight one four four nine oh seven",
    [("HEALTH_PLAN_ID", "w two two eight one four four nine oh seven")], "spoken subscriber id")
one(C, "medicaid id 98765432A",
    [("HEALTH_PLAN_ID", "98765432A")], "Medicaid id")
one(C, "the insurance ID on my card is ZGP 449 118 002",
    [("HEALTH_PLAN_ID", "ZGP 449 118 002")], "grouped insurance id")

# --------------------------------------------------------------- mixed single turns
one(C, "I'm Carlos Mendez, my email is cmendez@fastmail.com and my cell is 305-555-0181",
    [("PERSON", "Carlos Mendez"), ("EMAIL_ADDRESS", "cmendez@fastmail.com"), ("PHONE_NUMBER", "305-555-0181")],
    "three PII types in one turn")
one(C, "card 4242 4242 4242 4242 exp 09/26 cvv 311",
    [("CREDIT_CARD", "4242 4242 4242 4242"), ("CARD_EXPIRY", "09/26"), ("CARD_CVV", "311")],
    "card, expiry and CVV together")
one(C, "ship to 455 Birch Road, Dayton, Ohio 45402",
    [("STREET_ADDRESS", "455 Birch Road"), ("LOCATION", "Dayton"), ("LOCATION", "Ohio"), ("ZIP_CODE", "45402")],
    "full postal address")
one(C, "its sixty two eleven lakeview terrace portland oregon nine seven two oh two",
    [("STREET_ADDRESS", "sixty two eleven lakeview terrace"), ("LOCATION", "portland"),
     ("LOCATION", "oregon"), ("ZIP_CODE", "nine seven two oh two")], "full spoken address")
one(C, "name is olivia bennett date of birth april second nineteen ninety one",
    [("PERSON", "olivia bennett"), ("DATE_OF_BIRTH", "april second nineteen ninety one")],
    "name and DOB in one ASR turn")
one(C, "routing 011000015 account 5566778812",
    [("ABA_ROUTING", "011000015"), ("BANK_ACCOUNT", "5566778812")], "routing then account")
one(C, "my social is 601-38-2271 and my date of birth is 10/05/1971",
    [("US_SSN", "601-38-2271"), ("DATE_OF_BIRTH", "10/05/1971")], "SSN and DOB")
one(C, "the visa ending uh the full number is 4024 0071 5893 4215 and it expires may twenty seven",
    [("CREDIT_CARD", "4024 0071 5893 4215"), ("CARD_EXPIRY", "may twenty seven")],
    "card plus expiry with ambiguous month 'may'")
one(C, "user name is jdoe88 and password hunter2",
    [("CREDENTIAL", "hunter2")], "password after user name")
one(C, "I'm at 77 Sunset Blvd in Los Angeles, my number is 213 555 0147",
    [("STREET_ADDRESS", "77 Sunset Blvd"), ("LOCATION", "Los Angeles"), ("PHONE_NUMBER", "213 555 0147")],
    "address, city, phone")
one(C, "discover six zero one one four five seven two nine nine eight three four one oh seven",
    [("CREDIT_CARD", "six zero one one four five seven two nine nine eight three four one oh seven")],
    "Discover spoken")
one(C, "my card is a mastercard five one six three eight four nine oh two seven seven one six four five seven",
    [("CREDIT_CARD", "five one six three eight four nine oh two seven seven one six four five seven")],
    "Mastercard spoken")
one(C, "amex three seven five oh one nine two eight three seven four six five one six",
    [("CREDIT_CARD", "three seven five oh one nine two eight three seven four six five one six")],
    "Amex 37 spoken")
one(C, "the card number is two three oh one four five eight eight two nine one seven three three four five",
    [("CREDIT_CARD", "two three oh one four five eight eight two nine one seven three three four five")],
    "Mastercard 2-series spoken")
one(C, "my pin is 2580 and my zip is 30309",
    [("CREDENTIAL", "2580"), ("ZIP_CODE", "30309")], "PIN and ZIP, both short numbers")
one(C, "I was born in Cleveland on 2/9/1958",
    [("LOCATION", "Cleveland"), ("DATE_OF_BIRTH", "2/9/1958")], "birthplace and DOB")
one(C, "account holder Rosa Delgado, member number 55120983",
    [("PERSON", "Rosa Delgado"), ("ACCOUNT_ID", "55120983")], "name and member number")
one(C, "my medicare number is one e g four t e five m k seven three",
    [("HEALTH_PLAN_ID", "one e g four t e five m k seven three")], "spoken Medicare MBI")
one(C, "my SSN is 729 04 1185",
    [("US_SSN", "729 04 1185")], "spaced SSN, 7xx area")
one(C, "social security nine digits four oh one two two nine eight eight seven",
    [("US_SSN", "four oh one two two nine eight eight seven")], "spoken SSN after 'nine digits'")
one(C, "the email is priya dot raman at work dot example dot com",
    [("EMAIL_ADDRESS", "priya dot raman at work dot example dot com")], "spoken e-mail with sub-domain")
one(C, "it's 6555 1239 8740 2134",
    [("CREDIT_CARD", "6555 1239 8740 2134")], "Discover 65 grouped")
one(C, "visa 4917 6154 9031 7780",
    [("CREDIT_CARD", "4917 6154 9031 7780")], "Visa grouped")
one(C, "my amex number is 3441 270085 12937",
    [("CREDIT_CARD", "3441 270085 12937")], "Amex 4-6-5")
one(C, "the zip is 94110 and I'm in San Francisco",
    [("ZIP_CODE", "94110"), ("LOCATION", "San Francisco")], "ZIP and city")

# --------------------------------------------------------------- multi-turn (context matters)
multi([(A, "Can you please verify your date of birth?"), (C, "march third nineteen eighty two")],
      [(1, "DATE_OF_BIRTH", "march third nineteen eighty two")], "DOB answer without cue in its own turn")
multi([(A, "who am I speaking with"), (C, "jane doe")],
      [(1, "PERSON", "jane doe")], "name answer to 'who am I speaking with'; 'doe' is a common word")
multi([(C, "ok the card number is"), (C, "four one one one one one one one"), (C, "one one one one one one one one")],
      [(1, "CREDIT_CARD", "four one one one one one one one"), (2, "CREDIT_CARD", "one one one one one one one one")],
      "card split over two customer turns")
multi([(A, "what's the best number to reach you at"), (C, "it's three one two five five five oh one four two")],
      [(1, "PHONE_NUMBER", "three one two five five five oh one four two")], "phone answer")
multi([(A, "I'll need your social security number to continue."), (C, "sure it's five three six two two one eight four seven")],
      [(1, "US_SSN", "five three six two two one eight four seven")], "SSN answer after agent cue")
multi([(A, "and what's the expiration date on the card"), (C, "oh nine twenty seven")],
      [(1, "CARD_EXPIRY", "oh nine twenty seven")], "expiry answer")
multi([(A, "and the three digit code on the back"), (C, "four one seven")],
      [(1, "CARD_CVV", "four one seven")], "CVV answer, 3 bare number words")
multi([(A, "can I get the email on the account"), (C, "yeah it's mike dot t at outlook dot com")],
      [(1, "EMAIL_ADDRESS", "mike dot t at outlook dot com")], "spoken e-mail answer")
multi([(A, "what's your zip code"), (C, "six oh six one four")],
      [(1, "ZIP_CODE", "six oh six one four")], "ZIP answer without cue in turn")
multi([(A, "what's the address on file"), (C, "twelve thirty four oak street apartment two b")],
      [(1, "STREET_ADDRESS", "twelve thirty four oak street apartment two b")], "address answer")
multi([(A, "what city are you located in"), (C, "columbus ohio")],
      [(1, "LOCATION", "columbus"), (1, "LOCATION", "ohio")], "city/state answer")
multi([(A, "and your routing number"), (C, "zero two one zero zero zero zero two one")],
      [(1, "ABA_ROUTING", "zero two one zero zero zero zero two one")], "routing answer")
multi([(A, "what's the routing number on your checks"), (C, "it's one two one zero zero zero three five eight"),
       (A, "and the account number"), (C, "three three oh nine one two seven seven four")],
      [(1, "ABA_ROUTING", "one two one zero zero zero three five eight"),
       (3, "BANK_ACCOUNT", "three three oh nine one two seven seven four")],
      "bank account answer; bank context comes from the routing question two turns back")
multi([(A, "could you spell your last name for me"), (C, "sure it's k o w a l s k i")],
      [(1, "PERSON", "k o w a l s k i")], "spelled surname answer")
multi([(A, "and your first name"), (C, "priya")],
      [(1, "PERSON", "priya")], "single-word first name answer")
multi([(A, "for security can you give me your pin"), (C, "one nine nine four")],
      [(1, "CREDENTIAL", "one nine nine four")], "PIN answer that looks like a year")
multi([(A, "what's the answer to your security question, the name of your first pet"), (C, "biscuit")],
      [(1, "CREDENTIAL", "biscuit")], "security answer, a common word")
multi([(A, "what IP address is showing on the router page"), (C, "one nine two dot one six eight dot zero dot one")],
      [(1, "IP_ADDRESS", "one nine two dot one six eight dot zero dot one")], "spoken IP answer")
multi([(A, "can you read me the number on your medicare card"), (C, "one e g four t e five m k seven three")],
      [(1, "HEALTH_PLAN_ID", "one e g four t e five m k seven three")], "spoken MBI answer")
multi([(A, "what's the medical record number on the paperwork"), (C, "zero zero four eight two nine one three")],
      [(1, "MEDICAL_RECORD_NUMBER", "zero zero four eight two nine one three")], "MRN answer")
multi([(A, "what's your driver's license number"), (C, "d four four one oh two eight seven")],
      [(1, "US_DRIVER_LICENSE", "d four four one oh two eight seven")], "DL answer")
multi([(A, "and the passport number please"), (C, "five one two three eight four nine seven six")],
      [(1, "US_PASSPORT", "five one two three eight four nine seven six")], "passport answer")
multi([(A, "and your date of birth?"), (C, "4/12/88")],
      [(1, "DATE_OF_BIRTH", "4/12/88")], "short written DOB answer")
multi([(A, "what's the policy number"), (C, "h g four four seven one two two nine oh")],
      [(1, "ACCOUNT_ID", "h g four four seven one two two nine oh")], "policy number answer")
multi([(A, "ok and the ticket number you were given"), (C, "eight eight two one four")],
      [(1, "ACCOUNT_ID", "eight eight two one four")], "5-digit ticket number, not a ZIP")
multi([(C, "it's two one two five five five"), (C, "oh one nine eight")],
      [(0, "PHONE_NUMBER", "two one two five five five"), (1, "PHONE_NUMBER", "oh one nine eight")],
      "phone split over two turns")
multi([(C, "my email is dana dot w at gmail dot com"), (A, "so that's dana dot w at gmail dot com"), (C, "yes")],
      [(0, "EMAIL_ADDRESS", "dana dot w at gmail dot com"), (1, "EMAIL_ADDRESS", "dana dot w at gmail dot com")],
      "agent repeats the e-mail")
multi([(A, "can I get your first and last name"), (C, "uh yeah it's dana"), (C, "dana whitfield")],
      [(1, "PERSON", "dana"), (2, "PERSON", "dana whitfield")], "name given over two turns")
multi([(A, "do you have a social security number or an ITIN"), (C, "an itin it's nine one two seven eight three four five six")],
      [(1, "US_ITIN", "nine one two seven eight three four five six")], "ITIN answer")
multi([(A, "what's the IBAN for the transfer"), (C, "DE89 3704 0044 0532 0130 00")],
      [(1, "IBAN_CODE", "DE89 3704 0044 0532 0130 00")], "IBAN answer")
multi([(A, "and what year were you born"), (C, "nineteen seventy four")],
      [(1, "DATE_OF_BIRTH", "nineteen seventy four")], "birth year alone; context from the question")
multi([(A, "and the password you set up"), (C, "it's capital t tiger underscore nine nine")],
      [(1, "CREDENTIAL", "capital t tiger underscore nine nine")], "password answer")
multi([(A, "where are you calling from today"), (C, "sacramento")],
      [(1, "LOCATION", "sacramento")], "city answer")
multi([(C, "my social is five three six"), (A, "ok go ahead"), (C, "two two one eight four seven")],
      [(0, "US_SSN", "five three six"), (2, "US_SSN", "two two one eight four seven")],
      "SSN split across turns with agent backchannel")
multi([(A, "go ahead with the card number"), (C, "5555 5555 5555 4444"), (A, "and the expiration and security code"),
       (C, "12/26 and the code is 737")],
      [(1, "CREDIT_CARD", "5555 5555 5555 4444"), (3, "CARD_EXPIRY", "12/26"), (3, "CARD_CVV", "737")],
      "card dialogue over four turns")
multi([(A, "what's the email address"), (C, "j underscore rivera eighty two at gmail dot com")],
      [(1, "EMAIL_ADDRESS", "j underscore rivera eighty two at gmail dot com")], "spoken e-mail with number words")
multi([(A, "what's the best callback number"), (C, "area code four one five"), (C, "five five five oh one nine nine")],
      [(1, "PHONE_NUMBER", "four one five"), (2, "PHONE_NUMBER", "five five five oh one nine nine")],
      "area code in one turn, rest in the next")
multi([(A, "can you confirm the account holder's name"), (C, "it's under my wife's name maria gonzalez")],
      [(1, "PERSON", "maria gonzalez")], "third-party name")
multi([(A, "and the street address"), (C, "forty two seventeen north lincoln avenue")],
      [(1, "STREET_ADDRESS", "forty two seventeen north lincoln avenue")], "street named after a person")
multi([(A, "and what state is that in"), (C, "illinois")],
      [(1, "LOCATION", "illinois")], "state answer")
multi([(A, "may I have your full name please"), (C, "rose hill")],
      [(1, "PERSON", "rose hill")], "both parts ambiguous words; only context makes it a name")
multi([(A, "what's the card number"), (C, "forty five thirty two oh one fifty one"), (C, "twelve eighty three oh three sixty six")],
      [(1, "CREDIT_CARD", "forty five thirty two oh one fifty one"),
       (2, "CREDIT_CARD", "twelve eighty three oh three sixty six")], "card in pairs split over two turns")
multi([(A, "and the account number you'd like the refund sent to"), (C, "checking account two two eight four six one nine oh three")],
      [(1, "BANK_ACCOUNT", "two two eight four six one nine oh three")], "bank account for refund")
multi([(A, "what's your member ID"), (C, "x j four eight eight two one nine three")],
      [(1, "ACCOUNT_ID", "x j four eight eight two one nine three")], "spelled member id answer")
multi([(A, "and your birthday"), (C, "the fifth of november"), (A, "and the year"), (C, "sixty seven")],
      [(1, "DATE_OF_BIRTH", "the fifth of november"), (3, "DATE_OF_BIRTH", "sixty seven")],
      "DOB split into day/month and year turns")
multi([(A, "can you give me the zip code for the billing address"), (C, "yeah nine four one one oh")],
      [(1, "ZIP_CODE", "nine four one one oh")], "billing ZIP answer")
multi([(A, "and your name"), (C, "bill"), (A, "and the last name bill"), (C, "okafor")],
      [(1, "PERSON", "bill"), (2, "PERSON", "bill"), (3, "PERSON", "okafor")],
      "ambiguous first name 'bill' given as answer and repeated by agent")


# --------------------------------------------------------------- more single turns
one(C, "m r n is eight eight four one two zero zero three",
    [("MEDICAL_RECORD_NUMBER", "eight eight four one two zero zero three")], "spelled cue 'm r n' then digits")
one(C, "her medical record number is MRN-5580912",
    [("MEDICAL_RECORD_NUMBER", "MRN-5580912")], "prefixed MRN")
one(C, "my texas driver's license is 24819033",
    [("LOCATION", "texas"), ("US_DRIVER_LICENSE", "24819033")], "8-digit DL with state")
one(C, "license number WDLXJ4229Q1",
    [("US_DRIVER_LICENSE", "WDLXJ4229Q1")], "Washington-style alphanumeric DL")
one(C, "passport number nine one five five two three eight eight four",
    [("US_PASSPORT", "nine one five five two three eight eight four")], "spoken passport")
one(C, "my passport is Z 4477 1029",
    [("US_PASSPORT", "Z 4477 1029")], "grouped next-gen passport")
one(C, "itin nine one two seven nine four four five five",
    [("US_ITIN", "nine one two seven nine four four five five")], "spoken ITIN, lower-case cue")
one(C, "ITIN: 988-81-2044",
    [("US_ITIN", "988-81-2044")], "ITIN with colon")
one(C, "the ip address is 172.16.254.3",
    [("IP_ADDRESS", "172.16.254.3")], "private 172.16/12 address")
one(C, "my public ip is two oh one dot one one four dot seven dot twenty two",
    [("IP_ADDRESS", "two oh one dot one one four dot seven dot twenty two")], "spoken IP, mixed digit/tens")
one(C, "my blue cross subscriber id is YHA 8812 0443",
    [("HEALTH_PLAN_ID", "YHA 8812 0443")], "insurer subscriber id")
one(C, "medicare beneficiary number 7AK2-HX4-RW19",
    [("HEALTH_PLAN_ID", "7AK2-HX4-RW19")], "Medicare MBI")
one(C, "IBAN IT60 X054 2811 1010 0000 0123 456",
    [("IBAN_CODE", "IT60 X054 2811 1010 0000 0123 456")], "Italian IBAN")
one(C, "it's AT61 1904 3002 3457 3201",
    [("IBAN_CODE", "AT61 1904 3002 3457 3201")], "Austrian IBAN, no cue")
one(C, "the iban is PL61 1090 1014 0000 0712 1981 2874",
    [("IBAN_CODE", "PL61 1090 1014 0000 0712 1981 2874")], "Polish IBAN (28 chars)")
one(C, "security code three four nine",
    [("CARD_CVV", "three four nine")], "spoken CVV")
one(C, "the cvv on the back is 604",
    [("CARD_CVV", "604")], "written CVV")
one(C, "my account at the credit union is 0044718820",
    [("BANK_ACCOUNT", "0044718820")], "credit union account")
one(C, "savings account number 3300 1927 74",
    [("BANK_ACCOUNT", "3300 1927 74")], "grouped savings account")
one(C, "you can reach my wife at 630-555-0112",
    [("PHONE_NUMBER", "630-555-0112")], "third party phone")


def spoken_digits(value):
    """Digits (and letters) spelled by a spoken or written number string."""
    units = {"zero": 0, "oh": 0, "o": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
             "six": 6, "seven": 7, "eight": 8, "nine": 9}
    teens = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
             "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
    tens = {"twenty": 2, "thirty": 3, "forty": 4, "fifty": 5, "sixty": 6, "seventy": 7,
            "eighty": 8, "ninety": 9}
    skip = {"dash", "and", "space", "hyphen"}
    toks = re.findall(r"[a-z]+|\d", value.lower())
    out, i, repeat = [], 0, 1
    while i < len(toks):
        t = toks[i]
        if t.isdigit():
            out.append(t * repeat)
            repeat = 1
        elif t in ("double", "triple"):
            repeat = 2 if t == "double" else 3
        elif t in units:
            out.append(str(units[t]) * repeat)
            repeat = 1
        elif t in teens:
            out.append(str(teens[t]))
        elif t in tens:
            if i + 1 < len(toks) and toks[i + 1] in units and units[toks[i + 1]] != 0 and toks[i + 1] not in ("oh", "o"):
                out.append(f"{tens[t]}{units[toks[i + 1]]}")
                i += 1
            else:
                out.append(f"{tens[t]}0")
        elif t in skip:
            pass
        else:
            raise ValueError(f"unparsed token {t!r} in {value!r}")
        i += 1
    return "".join(out)


def luhn(d):
    total = 0
    for i, ch in enumerate(reversed(d)):
        x = int(ch)
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def card_ok(d):
    if not luhn(d):
        return "Luhn"
    if d.startswith("4") and len(d) in (13, 16, 19):
        return None
    if (51 <= int(d[:2]) <= 55 or 2221 <= int(d[:4]) <= 2720) and len(d) == 16:
        return None
    if d[:2] in ("34", "37") and len(d) == 15:
        return None
    if (d.startswith("6011") or d.startswith("65")) and len(d) == 16:
        return None
    return "issuer/length"


def ssn_ok(d):
    return len(d) == 9 and d[:3] not in ("000", "666") and d[0] != "9" and d[3:5] != "00" and d[5:] != "0000"


def itin_ok(d):
    return len(d) == 9 and d[0] == "9" and 70 <= int(d[3:5]) <= 88


def aba_ok(d):
    if len(d) != 9:
        return False
    n = [int(c) for c in d]
    return (3 * (n[0] + n[3] + n[6]) + 7 * (n[1] + n[4] + n[7]) + (n[2] + n[5] + n[8])) % 10 == 0


def iban_ok(v):
    s = re.sub(r"\s", "", v).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def validate():
    errors = []
    for idx, case in enumerate(CASES):
        cid = case["id"]
        turns = case["turns"]
        if not turns or not case["expect"]:
            errors.append(f"{cid}: empty")
        for t in turns:
            if t["speaker"] not in (A, C):
                errors.append(f"{cid}: bad speaker")
        grouped = {}
        for e in case["expect"]:
            if e["type"] not in TYPES:
                errors.append(f"{cid}: bad type {e['type']}")
                continue
            if not 0 <= e["turn"] < len(turns):
                errors.append(f"{cid}: bad turn index")
                continue
            text = turns[e["turn"]]["text"]
            if e["value"] not in text:
                errors.append(f"{cid}: value {e['value']!r} not in turn {e['turn']}")
            if e["value"] != e["value"].strip():
                errors.append(f"{cid}: value has outer whitespace")
            grouped.setdefault(e["type"], []).append(e["value"])
        for typ, values in grouped.items():
            if typ in ("CREDIT_CARD", "US_SSN", "US_ITIN", "ABA_ROUTING"):
                digits = "".join(spoken_digits(v) for v in values)
                if typ == "CREDIT_CARD":
                    # a case may hold several complete cards; split only when the
                    # parts are not complete cards on their own
                    complete = [spoken_digits(v) for v in values]
                    if all(card_ok(d) is None for d in complete):
                        continue
                    why = card_ok(digits)
                    if why:
                        errors.append(f"{cid}: CREDIT_CARD {digits} fails {why}")
                elif typ == "US_SSN" and not ssn_ok(digits):
                    errors.append(f"{cid}: US_SSN {digits} invalid")
                elif typ == "US_ITIN" and not itin_ok(digits):
                    errors.append(f"{cid}: US_ITIN {digits} invalid")
                elif typ == "ABA_ROUTING" and not aba_ok(digits):
                    errors.append(f"{cid}: ABA {digits} checksum")
            if typ == "IBAN_CODE":
                for v in values:
                    if not iban_ok(v):
                        errors.append(f"{cid}: IBAN {v} mod-97")
            if typ == "PHONE_NUMBER" and len(values) == 1:
                v = values[0]
                d = spoken_digits(re.sub(r"[()+.\-]", " ", v))
                if d.startswith("44"):
                    continue
                if d.startswith("1") and len(d) == 11:
                    d = d[1:]
                if len(d) != 10 or d[0] in "01" or d[3] in "01":
                    errors.append(f"{cid}: phone {v} -> {d} not NANP")
    return errors


def main():
    for i, case in enumerate(CASES, 1):
        case["id"] = f"pos-{i:04d}"
    errors = validate()
    if errors:
        print("\n".join(errors), file=sys.stderr)
        sys.exit(1)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "positives.jsonl")
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        for case in CASES:
            rec = {"id": case["id"], "turns": case["turns"], "expect": case["expect"], "why": case["why"]}
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    counts = {}
    for case in CASES:
        for e in case["expect"]:
            counts[e["type"]] = counts.get(e["type"], 0) + 1
    multi_turn = sum(1 for c in CASES if len(c["turns"]) > 1)
    print(f"wrote {len(CASES)} cases ({multi_turn} multi-turn) to {out}")
    for t in sorted(TYPES):
        print(f"  {t}: {counts.get(t, 0)}")
    missing = TYPES - set(counts)
    if missing:
        print(f"missing types: {sorted(missing)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
