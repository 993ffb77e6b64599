#!/usr/bin/env python3
"""Writes false_positives.jsonl: PII-free call-center turns for callvault-detect.

Each line is {"id", "speaker", "text", "why"}. Nothing in these turns is
personal data, but they are full of numbers (prices, quantities, times,
model/item numbers, years, percentages, extensions ...) and of words that are
also names or places in other contexts (will, grace period, may, june, bill,
mark, frank, rose gold, summer, hope, the car jack ...). A detector should
report nothing on any of them.

The text comes from hand-written templates (written style and lower-case ASR
style) whose slots are filled from small pools with a fixed random seed, so
the output is deterministic. Before writing, every line is checked:

* no run of 5+ digits (ZIP-like) and no 7+ digits in any form, no '@';
* no word is in data/first_names.txt or data/surnames.txt (ambiguous names
  from data/ambiguous_names.txt are allowed: they are the point);
* no 1-4 word sequence is in data/cities.txt, countries.txt or us_states.txt.

Usage: python3 make_false_positives.py  (writes false_positives.jsonl beside this file)
"""
import json
import os
import random
import re
import sys

SEED = 20240611
PER_TEMPLATE = 3          # renderings tried per template (duplicates are dropped)

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "data")

# ------------------------------------------------------------------ spoken numbers
ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
        "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def words(n):
    """Cardinal number in words, 0 <= n < 10000, US style without 'and'."""
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else " " + ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + words(rest))
    rest = n % 1000
    return words(n // 1000) + " thousand" + ("" if rest == 0 else " " + words(rest))


def pair(n):
    """Two-digit group as said in prices/times: 5 -> 'oh five', 30 -> 'thirty'."""
    return "oh " + ONES[n] if n < 10 else words(n)


ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh",
            8: "eighth", 9: "ninth", 10: "tenth", 11: "eleventh", 12: "twelfth", 13: "thirteenth",
            14: "fourteenth", 15: "fifteenth", 16: "sixteenth", 17: "seventeenth", 18: "eighteenth",
            19: "nineteenth", 20: "twentieth", 30: "thirtieth"}


def ordinal_words(n):
    if n in ORDINALS:
        return ORDINALS[n]
    return TENS[n // 10] + " " + ORDINALS[n % 10]


def ordinal_suffix(n):
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }".replace(" ", "")


MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"]
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


# ------------------------------------------------------------------ slot fillers
def make_slots(r):
    """All slot values for one rendering; r is the seeded Random."""
    dollars = r.choice([4, 9, 12, 14, 19, 24, 29, 34, 39, 49, 59, 64, 79, 89, 99, 129, 149, 199, 249,
                        299, 349, 399, 499, 649, 799, 999, 1299, 1899, 2499])
    cents = r.choice([0, 99, 95, 50, 49, 25, 0, 99])
    small = r.choice([2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 24, 36, 48])
    hour = r.randint(1, 11)
    minute = r.choice([0, 15, 30, 45, 10, 20])
    ampm = r.choice(["am", "pm"])
    month = r.choice(MONTHS)
    dom = r.randint(1, 28)
    year = r.randint(2012, 2024)
    pct = r.choice([3, 5, 10, 12, 15, 18, 20, 25, 30, 40, 50, 60, 75])
    temp = r.choice([32, 55, 60, 64, 68, 70, 72, 75, 78, 85, 90, 100])
    ext = r.choice([104, 118, 204, 215, 230, 301, 322, 410, 427, 512])
    item = r.randint(2, 98)
    model = r.choice([300, 450, 500, 700, 1200, 2000, 3500, 5000, 7000, 8800])
    days = r.choice([3, 5, 7, 10, 14, 15, 21, 30, 45, 60, 90])
    version = r.choice(["2.4", "3.1.4", "11.2", "14.6", "5.0.3", "8.1", "17.4"])
    gb = r.choice([5, 10, 15, 20, 50, 100])
    mbps = r.choice([100, 200, 300, 500, 940])
    flight = r.choice([212, 418, 1125, 1580, 2217, 36, 704, 889])
    gate = r.choice(["B12", "C7", "A22", "D4", "E31", "B6"])
    row = r.randint(8, 34)
    seat = r.choice("ABCDEF")
    minutes = r.choice([2, 3, 5, 10, 15, 20, 25, 30, 45])
    weeks = r.choice([2, 3, 4, 6, 8])
    aisle = r.randint(3, 24)
    units = r.choice([12, 24, 50, 100, 250, 500])
    kwh = r.choice([340, 512, 780, 910, 1150])
    floor = r.randint(2, 14)
    count = r.randint(2, 9)
    lo = r.randint(2, 4)
    hi = r.randint(5, 10)
    pct2 = r.choice([5, 10, 15, 20, 25])
    rate = r.choice(["3.9", "4.5", "6.25", "19.99", "24.99", "0"])

    price_w = f"${dollars:,}" + ("" if cents == 0 and r.random() < 0.5 else f".{cents:02d}")
    if dollars < 100 and cents:
        price_s = f"{words(dollars)} {pair(cents)}"                     # forty nine ninety nine
    elif dollars < 100:
        price_s = f"{words(dollars)} dollars"
    elif dollars < 1000 and r.random() < 0.5:
        price_s = f"{words(dollars // 100)} {pair(dollars % 100)}"       # three forty nine
    else:
        price_s = f"{words(dollars)} dollars" + ("" if not cents else f" and {words(cents)} cents")
    small_price_s = r.choice(["two fifty", "three ninety nine", "nineteen ninety nine", "nine ninety five",
                              "twelve fifty", "four seventy five", "six bucks", "twenty bucks"])
    time_w = f"{hour}:{minute:02d} {ampm}" if minute else f"{hour} {ampm}"
    if minute == 0:
        time_s = f"{words(hour)} {r.choice(['o clock', ampm, 'in the morning' if ampm == 'am' else 'in the afternoon'])}"
    elif minute == 30 and r.random() < 0.5:
        time_s = f"half past {words(hour)}"
    elif minute == 15 and r.random() < 0.5:
        time_s = f"quarter past {words(hour)}"
    elif minute == 45 and r.random() < 0.5:
        time_s = f"quarter to {words(hour % 12 + 1)}"
    else:
        time_s = f"{words(hour)} {words(minute)} {ampm}"
    return {
        "price": price_w, "sprice": price_s, "ssmallprice": small_price_s,
        "total": f"${r.randint(20, 899)}.{r.randint(0, 99):02d}",
        "qty": str(small), "sqty": words(small), "count": str(count), "scount": words(count),
        "time": time_w, "stime": time_s, "shour": words(hour),
        "time2": f"{(hour % 12) + 1}:00 {ampm}", "open": r.choice(["8 am", "9 am", "10 am", "7:30 am"]),
        "close": r.choice(["6 pm", "8 pm", "9 pm", "5:30 pm"]),
        "sopen": r.choice(["eight", "nine", "ten", "seven thirty"]),
        "sclose": r.choice(["six", "eight", "nine", "five thirty"]),
        "day": r.choice(DAYS).capitalize(), "sday": r.choice(DAYS),
        "date": f"{month.capitalize()} {ordinal_suffix(dom)}", "sdate": f"{month} {ordinal_words(dom)}",
        "smonth": month, "month": month.capitalize(), "dom": ordinal_suffix(dom), "sdom": ordinal_words(dom),
        "year": str(year), "syear": f"twenty {words(year - 2000)}" if year >= 2010 else f"two thousand {words(year - 2000)}",
        "pct": f"{pct}%", "spct": f"{words(pct)} percent", "spct2": f"{words(pct2)} percent",
        "lo": str(lo), "slo": words(lo), "hi": str(hi), "shi": words(hi),
        "rate": f"{rate}%", "srate": (words(int(float(rate))) + (" point " + " ".join(ONES[int(d)] for d in rate.split(".")[1]) if "." in rate else "")) + " percent",
        "temp": str(temp), "stemp": words(temp),
        "ext": str(ext), "sext": " ".join(ONES[int(d)] if d != "0" else "oh" for d in str(ext)),
        "item": str(item), "sitem": words(item),
        "model": str(model), "smodel": words(model),
        "days": str(days), "sdays": words(days),
        "version": version, "sversion": " point ".join(words(int(p)) for p in version.split(".")),
        "gb": str(gb), "sgb": words(gb), "mbps": str(mbps), "smbps": words(mbps),
        "flight": str(flight), "sflight": words(flight) if flight < 100 or flight % 100 == 0 else
        (f"{words(flight // 100)} {pair(flight % 100)}"),
        "gate": gate, "sgate": gate[0].lower() + " " + words(int(gate[1:])),
        "row": str(row), "srow": words(row), "seat": seat, "sseat": seat.lower(),
        "minutes": str(minutes), "sminutes": words(minutes),
        "weeks": str(weeks), "sweeks": words(weeks),
        "aisle": str(aisle), "saisle": words(aisle),
        "units": str(units), "sunits": words(units),
        "kwh": str(kwh), "skwh": words(kwh), "floor": ordinal_suffix(floor), "sfloor": ordinal_words(floor),
        "product": r.choice(["blender", "router", "air fryer", "dishwasher", "vacuum", "printer", "headphones",
                             "thermostat", "microwave", "space heater", "treadmill", "coffee maker",
                             "soundbar", "tablet", "smart watch", "mattress"]),
        "color": r.choice(["rose gold", "midnight blue", "forest green", "white", "brown", "graphite",
                           "silver", "sage green"]),
        "size": r.choice(["small", "medium", "large", "extra large", "queen", "king"]),
    }


# ------------------------------------------------------------------ templates
# (speaker, template, why).  Written templates use normal case and punctuation;
# ASR templates are lower case without punctuation and use spoken numbers.
W = []   # written style
S = []   # ASR style


def w(speaker, text, why):
    W.append((speaker, text, why))


def s(speaker, text, why):
    S.append((speaker, text, why))


C, A = "customer", "agent"

# -- billing and prices
w(C, "I was charged {price} but the sticker said {total}.", "two prices")
w(A, "Your new monthly rate will be {price} starting next cycle.", "price; 'will' is a verb")
w(A, "The bill this month is {total}, which includes a {price} late fee.", "bill amount and fee")
w(C, "Why did my bill go up by {price}?", "price change")
w(A, "I've applied a one-time credit of {price} to the account.", "credit amount")
w(A, "There's a {days}-day grace period before any late fee applies.", "grace period, day count")
w(C, "The promo was supposed to be {pct} off for {sweeks} months.", "percent discount")
w(A, "Sales tax comes to {total} on that order.", "tax amount")
w(C, "Can I pay {price} now and the rest on the {dom}?", "partial payment, day of month")
w(A, "Your order total is {total} after the {pct} discount.", "order total is a price, not an id")
w(A, "The minimum payment due is {price} by {date}.", "minimum payment and due date")
w(C, "I paid {total} on {day} and it still shows as pending.", "payment amount and weekday")
w(A, "We can set up {scount} installments of {price} each.", "installments")
w(A, "The annual fee is {price}, waived for the first year.", "annual fee")
w(C, "The receipt shows {qty} items for {total} total.", "receipt count and total")
s(C, "yeah so the bill says {sprice} but i thought it was gonna be {ssmallprice}", "spoken prices")
s(C, "i was charged {sprice} twice this month", "spoken price")
s(A, "so your total today comes to {sprice}", "spoken total")
s(C, "it was like {ssmallprice} for the first month and then it went up", "spoken intro price")
s(A, "the late fee is {ssmallprice} and i can go ahead and waive that for you", "spoken fee")
s(C, "i will pay the rest on the {sdom} when i get paid", "'will' and a day of month")
s(A, "there is a {sdays} day grace period so you're fine", "grace period in words")
s(C, "the promo said {spct} off but i only got like {spct2}", "spoken percents")
s(A, "okay i see a credit of {sprice} that posted on {sday}", "spoken credit")
s(C, "can you just mark that bill as paid", "'mark' and 'bill' as common words")
s(C, "to be frank i don't think i should pay {ssmallprice} for that", "'frank' idiom")
s(A, "it looks like the bill was generated on the {sdom}", "billing date, not a birth date")

# -- retail, stores, products
w(A, "Our store hours are {open} to {close}, Monday through Saturday.", "store hours")
w(A, "You'll find it in aisle {aisle}, bottom shelf.", "aisle number")
w(C, "I'm looking at item {item} in the flyer, the {product}.", "short item number")
w(C, "Is the model {model} still in stock?", "model number")
w(A, "We have {qty} units left of the {color} one.", "stock count and colour")
w(C, "I ordered {qty} boxes but only {count} arrived.", "quantities")
w(A, "The {size} size is {price} and the next one up is {total}.", "size and prices")
w(C, "The {product} I bought in {year} stopped working.", "purchase year")
w(A, "That {product} has a {sweeks}-year warranty.", "warranty length")
w(C, "Do you price match? Another store has it for {price}.", "price match")
w(A, "The {color} finish is back in stock as of {day}.", "colour name 'rose gold'")
w(C, "I want to return the {product}, I still have the box.", "return request")
w(A, "Returns are accepted within {days} days of delivery.", "return window")
w(A, "The summer sale runs through {date}.", "'summer' and a sale date")
w(C, "Is the {year} model any different from this one?", "model year")
w(A, "Buy {scount}, get one free on all {product} accessories.", "promotion")
s(C, "i got the {color} one but i wanted the {color} one", "colours")
s(C, "i'm standing in aisle {saisle} and i can't find it", "spoken aisle")
s(A, "yeah the model {smodel} is on sale right now for {sprice}", "spoken model and price")
s(C, "i ordered like {sqty} of them and only got {scount}", "spoken quantities")
s(A, "we open at {sopen} and close at {sclose} on weekends", "spoken store hours")
s(C, "is the {product} still {spct} off or did that end", "spoken discount")
s(C, "it's the one from {syear} the newer one", "spoken model year")
s(A, "so that's {sunits} units at {ssmallprice} each", "bulk order")
s(C, "the jack that came with the car is missing", "'jack' as a tool")
s(C, "i need the king size not the queen", "'king'/'queen' sizes")
s(A, "the summer collection drops on {sdate}", "'summer', release date")

# -- shipping and delivery
w(A, "Your package is scheduled for delivery on {date} between {time} and {time2}.", "delivery window")
w(A, "It shipped in {count} boxes; the last one arrives {day}.", "box count")
w(C, "The tracking page has said 'out for delivery' since {time}.", "time")
w(A, "Standard shipping takes {lo} to {hi} business days.", "shipping duration")
w(A, "Expedited shipping is {price} and arrives in {count} days.", "shipping price")
w(C, "The box weighs about {qty} pounds, is that a problem?", "weight")
w(A, "The driver attempted delivery at {time} on {day}.", "delivery attempt")
w(C, "Can you hold it at the depot until {date}?", "hold date")
w(A, "We'll reship it at no charge; allow {days} days.", "reship")
w(A, "Your order will be split into {count} shipments.", "shipments; 'will' verb")
s(C, "the package was supposed to come on {sdate} and it never showed up", "spoken delivery date")
s(A, "it should be there by {stime} on {sday}", "spoken delivery time")
s(C, "they left {slo} boxes but the order was for {shi}", "spoken boxes")
s(A, "yeah it looks like it's in transit and it'll be there in {scount} days", "days count")
s(C, "the driver came at like {stime} and nobody was home", "spoken time")
s(A, "i can reship it today and it'll take {slo} to {shi} days", "reship duration")
s(C, "may i ask why it's been stuck for {sdays} days", "'may' as modal verb")

# -- telecom and internet
w(A, "Your plan includes {gb} GB of data per month.", "data allowance")
w(C, "I'm paying for {mbps} Mbps but getting maybe {qty}.", "speeds")
w(A, "Please restart the router and wait {minutes} minutes.", "wait time")
w(A, "The outage in your area should be resolved by {time}.", "outage time")
w(C, "The modem has been blinking orange since {time}.", "modem light; no city")
w(A, "You've used {gb} GB of your {gb} GB allowance this cycle.", "usage figures")
w(A, "The unlimited plan is {price} per line per month.", "plan price")
w(C, "I've had this phone since {year}, it's a {year} model.", "device year")
w(A, "Your firmware is on version {version}; the latest is {version}.", "version numbers")
w(C, "I need a new SIM card for the second line.", "'SIM card'")
w(A, "A technician can come on {date} between {time} and {time2}.", "technician window")
w(C, "The signal drops to {count} bars on the {floor} floor.", "signal bars, floor")
s(A, "okay so your plan has {sgb} gigs of data", "spoken data")
s(C, "i'm supposed to get {smbps} megs but the speed test says like {sqty}", "spoken speeds")
s(A, "go ahead and unplug it for {sminutes} minutes and plug it back in", "spoken wait")
s(C, "my phone keeps saying no sim card", "'sim card'")
s(A, "it looks like you're on version {sversion}", "spoken version")
s(C, "the internet goes out every night around {stime}", "spoken time")
s(A, "the tech can come out {sday} between {shour} and {sclose}", "spoken appointment window")
s(C, "the connection is crystal clear now thanks", "'crystal clear'")
s(C, "i hope this fixes it because i work from home", "'hope' as verb")

# -- travel
w(A, "Flight {flight} now departs from gate {gate} at {time}.", "flight and gate")
w(C, "I'm in row {row}, seat {seat}, can I move to an aisle?", "seat number")
w(A, "Boarding begins {minutes} minutes before departure.", "boarding time")
w(A, "The checked bag fee is {price} for the first bag.", "bag fee")
w(C, "My connection was only {minutes} minutes, I missed it.", "connection time")
w(A, "Your new flight leaves {date} at {time}.", "rebooking date")
w(A, "The hotel checkout time is {time2} and breakfast ends at {time}.", "hotel times")
w(A, "Your room is on the {floor} floor with a king bed.", "floor, 'king' bed")
s(C, "yeah i'm on flight {sflight} and it says delayed", "spoken flight number")
s(A, "you'll be boarding at gate {sgate} at {stime}", "spoken gate")
s(C, "i'm in row {srow} seat {sseat}", "spoken row")
s(A, "the next available flight is {sday} at {stime}", "rebooking time")
s(C, "we land at {stime} will the shuttle still be running", "landing time, 'will'")
s(A, "your bag should arrive on the next flight in about {sminutes} minutes", "bag delay")

# -- utilities and home services
w(A, "You used {kwh} kWh this month, up {pct} from last month.", "energy usage")
w(C, "The thermostat is set to {temp} but it's freezing in here.", "temperature")
w(A, "Set the water heater to {temp} degrees and wait an hour.", "temperature")
w(A, "The budget billing amount will be {price} per month.", "budget billing")
w(C, "The furnace is about {count} years old.", "appliance age")
w(A, "The filter should be changed every {sweeks} months.", "maintenance interval")
w(A, "Crews expect power back by {time} on {day}.", "restoration estimate")
s(C, "the heat is set to {stemp} and it's still cold", "spoken temperature")
s(A, "you used about {skwh} kilowatt hours this month", "spoken usage")
s(C, "it's been out since like {stime} this morning", "outage time")
s(A, "the crew should be there by {stime}", "crew eta")
s(C, "the ac keeps running even at {stemp} degrees", "spoken temperature")
s(C, "the power came back but the green light on the meter is still flashing", "'green' colour")

# -- insurance, banking without identifiers
w(A, "Your deductible is {price} and coinsurance is {pct}.", "deductible and percent")
w(A, "There is a {days}-day grace period for premium payments.", "grace period")
w(A, "The interest rate is {rate} APR on purchases.", "interest rate")
w(C, "Is there a fee for transfers over {price}?", "fee threshold")
w(A, "Claims are usually processed within {days} days.", "processing time")
w(A, "Your coverage renews on {date} each year.", "renewal date, not a birth date")
w(C, "The co-pay went from {price} to {total} this year.", "co-pay change")
w(A, "The branch is open until {close} on weekdays.", "branch hours")
w(C, "I'd like to talk to someone about a Chase card I saw advertised.", "bank brand 'Chase'")
w(A, "For security, I'll need to ask you a few questions first.", "mentions security, no data")
w(A, "Can you confirm your date of birth for me?", "question only, no value")
w(A, "I'll just need the zip code on the account.", "asks for a zip but gives none")
w(C, "I forgot my password again.", "mentions password, no value")
s(A, "okay so the deductible is {sprice} and then we cover {spct}", "spoken deductible")
s(C, "what's the grace period on the premium", "'grace period'")
s(A, "the intro rate is {srate} for the first {sdays} days", "spoken rate")
s(C, "i want to dispute a charge of {sprice} from {sday}", "dispute amount")
s(A, "that transfer should post in {slo} to {shi} business days", "posting time")
s(C, "i don't remember my pin can i reset it", "mentions pin, no value")
w(C, "My Fitbit has stopped syncing since {date}.", "device brand before a verb")
w(A, "Hi, Spectrum support here, how can I help?", "company after a greeting")
w(C, "We switched from Comcast to Spectrum and it costs {price} now.", "companies, not people")
w(C, "My Roku says the account is suspended.", "device brand before 'says'")
w(C, "Is Medicare going to cover the {price}?", "insurer name")
w(C, "Please transfer {price} to savings.", "transfer between own accounts")
w(C, "I want to pay {price} to Amazon for the order.", "payee is a company")
w(C, "Can you send {price} to my checking account?", "transfer to own account")
w(A, "I'll move {price} to checking for you now.", "transfer to checking")
s(C, "send {sprice} to my savings please", "spoken own-account transfer")
s(C, "i paid {sprice} to netflix and then {sprice} to verizon", "payees are companies")
s(A, "can i get the last four of the card please", "question only")
s(C, "yeah i got a letter saying my policy will renew in {smonth}", "renewal month")
s(C, "i'm not trying to sue anybody i just want my money back", "'sue' as verb")
s(A, "i'm gonna need to verify a couple things before we make changes", "verification talk")
s(C, "my social media got hacked not my bank", "'social' without SSN")

# -- healthcare scheduling (no identifiers)
w(A, "The next appointment is {date} at {time}.", "appointment date, not a birth date")
w(A, "Please arrive {minutes} minutes early to fill out paperwork.", "arrival time")
w(C, "Can I move my {time} appointment to {time2}?", "appointment times")
w(A, "The pharmacy closes at {close} and reopens at {open}.", "pharmacy hours")
w(A, "Take {scount} tablets twice a day for {days} days.", "dosage")
w(A, "The office is on the {floor} floor, suite {ext}.", "suite number")
w(C, "My prescription is {qty} mg, not {units} mg.", "dosage numbers")
s(A, "we have an opening on {sdate} at {stime}", "spoken appointment")
s(C, "can we do something after {stime} i work until {sclose}", "spoken times")
s(A, "the copay for that visit is {ssmallprice}", "spoken co-pay")
s(C, "the doctor said take it for {sdays} days", "duration")
s(A, "your appointment is on the {sdom} at {stime}", "appointment date, not a birth date")

# -- tech support
w(A, "Go to Settings, then About, and read me the version number.", "version question")
w(C, "It says version {version} and build {model}.", "version/build numbers")
w(A, "Error code {item} means the update failed halfway.", "error code")
w(C, "The app crashes every time at {pct} loaded.", "percent")
w(A, "Hold the power button for {count} seconds.", "seconds")
w(A, "The update is about {gb} GB and takes roughly {minutes} minutes.", "download size and time")
w(C, "I have {count} devices on the account and one won't sync.", "device count")
w(A, "Clear the cache and try again in {minutes} minutes.", "wait time")
w(C, "The battery goes from {pct} to zero in an hour.", "battery percent")
w(A, "Please mark the ticket as resolved if that fixes it.", "'mark' verb; ticket mentioned without number")
s(C, "it says error {sitem} whatever that means", "spoken error code")
s(A, "can you read me the version it should say like {sversion} or something", "spoken version")
s(C, "i held it down for like {sminutes} seconds and nothing happened", "seconds")
s(A, "the download is about {sgb} gigs so give it {sminutes} minutes", "spoken size")
s(C, "it's stuck at {spct} and has been for an hour", "spoken percent")
s(C, "i will try that and call back if it doesn't work", "'will' verb")
s(A, "may i place you on a brief hold while i check", "'may' modal verb")
s(C, "the mac version works but not the windows one", "'mac' computer")

# -- calls, holds, transfers, surveys
w(A, "I'm going to transfer you to billing at extension {ext}.", "extension number")
w(A, "The current wait time is about {minutes} minutes.", "wait time")
w(C, "I've been on hold for {minutes} minutes already.", "hold time")
w(A, "On a scale of 1 to 10, how would you rate the call?", "survey scale")
w(A, "Our hours are {open} to {close} Eastern, seven days a week.", "call center hours")
w(A, "You'll get a text in about {minutes} minutes with the details.", "follow-up timing")
w(C, "I called {scount} times last week about this.", "call count")
w(A, "Thank you for your patience, I really appreciate it.", "courtesy, no data")
s(A, "i'm gonna transfer you to extension {sext}", "spoken extension")
s(C, "i've been on hold for like {sminutes} minutes", "spoken hold time")
s(A, "you can call us back anytime between {sopen} and {sclose}", "spoken hours")
s(C, "yeah i called like {scount} times already", "spoken count")
s(A, "on a scale of one to ten how likely are you to recommend us", "survey scale")
s(C, "will you be the one calling me back or someone else", "'will' at sentence start")
s(A, "hi thanks for calling how can i help you today", "greeting")
s(C, "um yeah hi i have a question about my order", "greeting, no data")
s(A, "i hope you have a great rest of your day", "'hope' verb")
s(C, "no joy it still won't turn on", "'joy' idiom")

# -- restaurants and food
w(C, "I'd like {count} large pizzas and {qty} wings.", "food order")
w(A, "Your order will be ready in {minutes} minutes.", "ready time")
w(A, "Delivery is free on orders over {price}.", "delivery threshold")
w(C, "Can we book a table for {count} at {time} on {day}?", "reservation")
w(A, "The kitchen closes at {close} tonight.", "closing time")
s(C, "can i get {scount} number {sitem}s with no onions", "menu item number")
s(A, "okay that'll be {sprice} and it'll be ready in {sminutes} minutes", "spoken total")
s(C, "do you guys have the summer menu yet", "'summer'")
s(A, "the special today is {ssmallprice} for a combo", "spoken price")

# -- dates and years that are not birth dates
w(C, "I've been a customer since {year}.", "customer-since year")
w(A, "That promotion ended on {date}.", "promotion end date")
w(C, "The car is a {year} with about {qty} thousand miles.", "car year and mileage")
w(A, "Your contract ends in {month} {year}.", "contract end")
w(C, "We moved in back in {month}, I think the {dom}.", "move-in date, no address")
w(A, "Rates are locked until {date}.", "lock date")
w(C, "Same thing happened in {year} and again in {year}.", "past years")
s(C, "i've had the account since like {syear}", "spoken year")
s(A, "that deal ended back in {smonth}", "month name")
s(C, "it's a {syear} with like {sqty} thousand miles", "spoken car year")
s(C, "we got it in {smonth} of {syear}", "purchase month/year")
s(A, "the new rate kicks in on {sdate}", "rate change date")
s(C, "yeah the june bill was way higher than may", "months 'june'/'may' and 'bill'")
s(C, "my contract is up in august so i want to switch", "'august' month")

# -- name-like words used as ordinary words
w(C, "Will the price change if I upgrade?", "'Will' at sentence start")
w(A, "I'll mark this as urgent for you.", "'mark' verb")
w(C, "The rose gold case is scratched already.", "'rose gold' colour")
w(C, "I hope the replacement arrives before June.", "'hope' and 'June'")
w(A, "You may see a temporary hold on the card.", "'may' modal")
w(C, "The summer plan was cheaper, honestly.", "'summer'")
w(A, "In good faith, I've refunded the shipping.", "'faith' idiom")
w(C, "The tire went flat and the jack is broken.", "car jack")
w(A, "To be frank, that model has had a lot of returns.", "'frank' idiom")
w(C, "The bill doubled after the free trial.", "'bill' noun")
w(A, "Grace period or not, we can waive it this once.", "'grace period'")
w(C, "Every penny counts, so I'd like the refund.", "'penny'")
w(C, "Can you park the ticket until Monday?", "'park' verb")
w(A, "Lane closures may delay the technician by an hour.", "'lane', 'may'")
w(C, "It's a major problem, the white one and the brown one both failed.", "colours and 'major'")
w(A, "Best of luck with the move, and have a great day!", "'best', 'day'")
w(C, "I miss the old app, the new one is a mess.", "'miss' verb")
w(A, "A long wait is the last thing we want for you.", "'long'")
w(C, "The court date is for the parking ticket, not my account.", "'court', no data")
w(A, "Our Summer Savings event starts {date}.", "capitalised 'Summer'")
s(C, "will that be the final price or will there be tax", "'will' twice")
s(A, "i'll go ahead and mark it as resolved", "'mark'")
s(C, "the rose gold one was out of stock so i got silver", "'rose gold'")
s(C, "i was hoping you could bill me in may instead", "'bill' verb, 'may' month")
s(A, "may i put you on hold for just a moment", "'may' modal")
s(C, "the jack is missing from the trunk", "car jack")
s(C, "frank question do you guys price match", "'frank' adjective")
s(A, "there's a grace period so you won't get a late fee", "'grace period'")
s(C, "the summer deal was better to be honest", "'summer'")
s(C, "i just hope it gets here by june", "'hope' and 'june'")
s(A, "no worries we'll make sure every penny is refunded", "'penny'")
s(C, "the brown one looks more like green to me", "colours")
s(A, "that's the best i can do on the price today", "'best', 'price'")
s(C, "i'd rather not wait that long honestly", "'long'")
s(A, "i'll make a note so you don't have to repeat yourself", "'don' in don't")
s(C, "can you grant me an extension on the payment", "'grant' verb")
s(C, "the chase card is the one i want to pay with i'll add it online", "'chase' as bank, no number")
s(A, "it's a big sale so the wait times are long today", "'sale', 'long'")
s(C, "i'm a huge fan but this is the last straw", "no data")
s(A, "let me check with my supervisor i'll be right back", "no data")
s(C, "the young guy at the store said to call you", "'young'")
s(A, "the max you can send in one day is {sprice}", "'max'")
s(C, "the fax machine keeps jamming", "'fax'")


def load(name):
    with open(os.path.join(DATA, name), encoding="utf-8") as f:
        return {line.rstrip("\n") for line in f if line.strip()}


def check(text, names, places):
    problems = []
    if "@" in text:
        problems.append("contains @")
    if re.search(r"\d{5,}", text):
        problems.append("5+ contiguous digits")
    for run in re.findall(r"\d[\d ,.\-]*\d", text):
        if len(re.sub(r"\D", "", run)) >= 7:
            problems.append("7+ digits in a run")
    tokens = re.findall(r"[a-z]+(?:-[a-z]+)*", text.lower())
    for t in tokens:
        if t in names:
            problems.append(f"name word {t!r}")
    for n in range(1, 5):
        for i in range(len(tokens) - n + 1):
            gram = " ".join(tokens[i:i + n])
            if gram in places:
                problems.append(f"place {gram!r}")
    return problems


def main():
    templates = [("written", sp, t, why) for sp, t, why in W] + [("asr", sp, t, why) for sp, t, why in S]
    if len({t for _, _, t, _ in templates}) != len(templates):
        sys.exit("duplicate template text")
    names = load("first_names.txt") | load("surnames.txt")
    places = load("cities.txt") | load("countries.txt") | load("us_states.txt")

    r = random.Random(SEED)
    rows, seen, errors = [], set(), []
    for style, speaker, template, why in templates:
        for _ in range(PER_TEMPLATE if "{" in template else 1):
            text = template.format(**make_slots(r))
            if style == "asr":
                assert text == text.lower(), text
            if text in seen:
                continue
            seen.add(text)
            problems = check(text, names, places)
            if problems:
                errors.append(f"{text!r}: {', '.join(problems)}")
            rows.append({"speaker": speaker, "text": text, "why": why})
    if errors:
        print("\n".join(errors), file=sys.stderr)
        sys.exit(1)
    out = os.path.join(HERE, "false_positives.jsonl")
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        for i, row in enumerate(rows, 1):
            rec = {"id": f"fp-{i:04d}", "speaker": row["speaker"], "text": row["text"], "why": row["why"]}
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print(f"{len(templates)} templates ({len(W)} written, {len(S)} asr) -> {len(rows)} lines in {out}")


if __name__ == "__main__":
    main()
