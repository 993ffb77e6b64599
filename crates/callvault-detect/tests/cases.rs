//! Hand-written detection cases, one per phenomenon: each type written and spoken, the
//! cross-turn cases, streaming hold-back, and the false-positive traps. A case names the exact
//! substring that must be covered by a finding of the expected type (or none at all).

use callvault_detect::{detect, Conversation, EntityType, Policy, StreamRedactor};

fn covered(text: &str, value: &str, want: EntityType, found: &[callvault_detect::Finding]) -> bool {
    let Some(s) = text.find(value) else {
        panic!("case is wrong: {value:?} not in {text:?}")
    };
    let e = s + value.len();
    found
        .iter()
        .any(|f| f.entity == want && f.start <= s && e <= f.end)
}

fn must(text: &str, value: &str, want: &str) {
    let want = EntityType::parse(want).expect("known type");
    let found = detect(text);
    assert!(
        covered(text, value, want, &found),
        "{want} {value:?} not found in {text:?}; got {:?}",
        found
            .iter()
            .map(|f| (f.entity, &text[f.start..f.end]))
            .collect::<Vec<_>>()
    );
}

/// No finding touches `part` (its first occurrence): the rest of the text may have findings.
fn untouched(text: &str, part: &str) {
    let Some(s) = text.find(part) else {
        panic!("case is wrong: {part:?} not in {text:?}")
    };
    let e = s + part.len();
    let found = detect(text);
    assert!(
        found.iter().all(|f| f.end <= s || e <= f.start),
        "{part:?} touched in {text:?}: {:?}",
        found
            .iter()
            .map(|f| (f.entity, &text[f.start..f.end]))
            .collect::<Vec<_>>()
    );
}

fn none(text: &str) {
    let found = detect(text);
    assert!(
        found.is_empty(),
        "false positive in {text:?}: {:?}",
        found
            .iter()
            .map(|f| (f.entity, &text[f.start..f.end]))
            .collect::<Vec<_>>()
    );
}

#[test]
fn cards_written_and_spoken() {
    must(
        "my card is 4111 1111 1111 1111 thanks",
        "4111 1111 1111 1111",
        "CREDIT_CARD",
    );
    must(
        "card number 378282246310005",
        "378282246310005",
        "CREDIT_CARD",
    );
    must(
        "it's four one one one one one one one one one one one one one one one",
        "four one one one one one one one one one one one one one one one",
        "CREDIT_CARD",
    );
    must(
        "4 1 1 1 one one one one 1111 one one one one",
        "4 1 1 1 one one one one 1111 one one one one",
        "CREDIT_CARD",
    );
    must("the cvv is 123", "123", "CARD_CVV");
    must("exp 04/27", "04/27", "CARD_EXPIRY");
    must(
        "the expiration date is april twenty seven",
        "april twenty seven",
        "CARD_EXPIRY",
    );
}

#[test]
fn ids_written_and_spoken() {
    must("SSN 078-05-1120", "078-05-1120", "US_SSN");
    must(
        "my social is zero seven eight zero five one one two zero",
        "zero seven eight zero five one one two zero",
        "US_SSN",
    );
    must("my itin is 912-70-1234", "912-70-1234", "US_ITIN");
    must("routing number 021000021", "021000021", "ABA_ROUTING");
    must(
        "my checking account is 123456789012",
        "123456789012",
        "BANK_ACCOUNT",
    );
    must(
        "IBAN GB82 WEST 1234 5698 7654 32",
        "GB82 WEST 1234 5698 7654 32",
        "IBAN_CODE",
    );
    must("my member id is 4455667", "4455667", "ACCOUNT_ID");
    must(
        "my driver's license number is F162823540116",
        "F162823540116",
        "US_DRIVER_LICENSE",
    );
    must("passport number 912345678", "912345678", "US_PASSPORT");
    must(
        "medical record number 55512345",
        "55512345",
        "MEDICAL_RECORD_NUMBER",
    );
    must(
        "my medicare number is 1EG4TE5MK73",
        "1EG4TE5MK73",
        "HEALTH_PLAN_ID",
    );
    must(
        "server at 192.168.10.5 and 2001:db8::1",
        "192.168.10.5",
        "IP_ADDRESS",
    );
    must(
        "server at 192.168.10.5 and 2001:db8::1",
        "2001:db8::1",
        "IP_ADDRESS",
    );
}

#[test]
fn phones_written_and_spoken() {
    must(
        "call me at (415) 555-0132",
        "(415) 555-0132",
        "PHONE_NUMBER",
    );
    must(
        "Desk: +41 (0)96 471 07 95",
        "+41 (0)96 471 07 95",
        "PHONE_NUMBER",
    );
    must(
        "it's four one five oh double five one two one two",
        "four one five oh double five one two one two",
        "PHONE_NUMBER",
    );
    must(
        "my number is seven zero seven triple five twelve thirty four",
        "seven zero seven triple five twelve thirty four",
        "PHONE_NUMBER",
    );
}

#[test]
fn email_written_and_spoken() {
    must(
        "write to J.Smith@Example.com please",
        "J.Smith@Example.com",
        "EMAIL_ADDRESS",
    );
    must(
        "it's j smith at gmail dot com",
        "j smith at gmail dot com",
        "EMAIL_ADDRESS",
    );
    must(
        "john underscore doe at yahoo dot co dot uk",
        "john underscore doe at yahoo dot co dot uk",
        "EMAIL_ADDRESS",
    );
}

#[test]
fn names_addresses_dates() {
    must("my name is jane doe and I need help", "jane doe", "PERSON");
    must(
        "Hello, this is Dr. Emily Rosenbaum",
        "Emily Rosenbaum",
        "PERSON",
    );
    must(
        "I live at 115 Hartz Avenue, Apt 4",
        "115 Hartz Avenue, Apt 4",
        "STREET_ADDRESS",
    );
    must(
        "i live at one one five hartz avenue",
        "one one five hartz avenue",
        "STREET_ADDRESS",
    );
    must("Ship it to San Francisco, CA 94107", "94107", "ZIP_CODE");
    must(
        "Ship it to San Francisco, CA 94107",
        "San Francisco",
        "LOCATION",
    );
    must(
        "my date of birth is march third nineteen eighty two",
        "march third nineteen eighty two",
        "DATE_OF_BIRTH",
    );
    must("I was born on 03/15/1982", "03/15/1982", "DATE_OF_BIRTH");
    must(
        "I was born in march nineteen eighty two",
        "march nineteen eighty two",
        "DATE_OF_BIRTH",
    );
    must(
        "my pin is four three two one",
        "four three two one",
        "CREDENTIAL",
    );
    must("the password is sunshine42", "sunshine42", "CREDENTIAL");
}

#[test]
fn names_in_directory_order_with_initials_and_credentials() {
    // Surname first, lower-case surname no list knows, middle initials.
    must(
        "Booking appointment with bacheler Janet on march 7th",
        "bacheler Janet",
        "PERSON",
    );
    must(
        "you could check out leininger anne, they are a family counselor",
        "leininger anne",
        "PERSON",
    );
    must(
        "an appointment on march 7th with bacosa frances, right",
        "bacosa frances",
        "PERSON",
    );
    must(
        "How about Adam E. Pollock? He's a psychologist.",
        "Adam E. Pollock",
        "PERSON",
    );
    must(
        "a psychiatrist named Dr. Kalpana I. Nathan in Menlo Park",
        "Dr. Kalpana I. Nathan",
        "PERSON",
    );
    // Names no list knows, by their written shape; ordinary capitalized words are not names.
    must(
        "Krisztián Szöllösy listed his top 20 songs",
        "Krisztián Szöllösy",
        "PERSON",
    );
    none("They wrote for Entertainment Weekly and Google Public Data Explorer.");
    // The same name again, names in a list, a speaker label, an answer after the question.
    let t = "My name is Antti Poutiainen but everyone calls me Antti";
    let last = t.rfind("Antti").expect("in text");
    assert!(
        detect(t)
            .iter()
            .any(|f| f.entity == EntityType::Person && f.start <= last && last + 5 <= f.end),
        "second mention"
    );
    must(
        "our 3 founders: Kónya, Becker and Vasquez.",
        "Kónya",
        "PERSON",
    );
    must("Ubul: What a wife.\nNicole: Remember me", "Ubul", "PERSON");
    must(
        "What's your name? User: Maja S Hermansen",
        "Maja S Hermansen",
        "PERSON",
    );
    none("Agent: We open at 9.\nNote: closed on holidays.");
    must(
        "Alvir spent a year at the firm as an assistant",
        "Alvir",
        "PERSON",
    );
    must(
        "a song arranged by Ogasahara in 1975",
        "Ogasahara",
        "PERSON",
    );
    none("I've had this phone since 2012, it's a 2012 model.");
    // An abbreviated title is a title in lower case too; credentials belong to the name.
    must(
        "i have an appointment with dr. nekrasov",
        "dr. nekrasov",
        "PERSON",
    );
    must("hi this is priya patel calling", "priya patel", "PERSON");
    must(
        "you can see pamela culver, psy on monday",
        "pamela culver, psy",
        "PERSON",
    );
}

#[test]
fn payees_of_a_transfer() {
    must("Please transfer 1200 bucks to philip", "philip", "PERSON");
    must("savings $1,400 jasbir checking", "jasbir", "PERSON");
    must("Send Dad 160 dollars.", "Dad", "PERSON");
    must("Jasbir will receive the money.", "Jasbir", "PERSON");
    must(
        "transfer $1,700 from your savings to Mom checking account",
        "Mom",
        "PERSON",
    );
    must(
        "transfer $1,570 to the checking account for Grace, correct?",
        "Grace",
        "PERSON",
    );
    none("Transfer $500 to savings please.");
    untouched("send money to mahmoud", "money");
    none("I'll send $40 to the store for delivery.");
    none("I want to pay $20 to Amazon for the order.");
    let found = detect("pay $15 for shipping to Denver");
    assert!(
        found.iter().all(|f| f.entity == EntityType::Location),
        "{found:?}"
    );
    none("Can you transfer me to billing? I need to pay $30.");
}

#[test]
fn address_tails_and_postcodes() {
    must(
        "The address is 824 New Hampshire Avenue Northwest, Washington, District of Columbia 20037, United States.",
        "824 New Hampshire Avenue Northwest, Washington, District of Columbia 20037",
        "STREET_ADDRESS",
    );
    must(
        "You can find them at 6 Rue Gustave Charpentier, 75017.",
        "6 Rue Gustave Charpentier, 75017",
        "STREET_ADDRESS",
    );
    must(
        "The hotel is at 28 Regent Street, Chippendale New South Wales 2008, Australia",
        "28 Regent Street, Chippendale New South Wales 2008",
        "STREET_ADDRESS",
    );
    must(
        "It is at 135 Carlingview Drive, Etobicoke, Ontario M9W 5E7, Canada.",
        "135 Carlingview Drive, Etobicoke, Ontario M9W 5E7",
        "STREET_ADDRESS",
    );
    must("the code is M9W 5E7", "M9W 5E7", "ZIP_CODE");
    must(
        "It is on 3180 peachtree road northeast.",
        "3180 peachtree road northeast",
        "STREET_ADDRESS",
    );
    must(
        "The location is 3468 Mount Diablo Boulevard B301.",
        "3468 Mount Diablo Boulevard B301",
        "STREET_ADDRESS",
    );
}

#[test]
fn international_and_postal_addresses() {
    must(
        "Meet me at P.O. Box 149 Monika Union",
        "P.O. Box 149",
        "STREET_ADDRESS",
    );
    must(
        "Please return to Unit 4719 Box 7394 in case of an issue.",
        "Unit 4719 Box 7394",
        "STREET_ADDRESS",
    );
    must(
        "please update my new address is 224 4966 Bond Street",
        "224 4966 Bond Street",
        "STREET_ADDRESS",
    );
    must(
        "Ask the driver to stop at the corner of 11 Botley Road St. and Herceg Gateway St.",
        "the corner of 11 Botley Road St. and Herceg Gateway",
        "STREET_ADDRESS",
    );
    must(
        "Our offices are at 6076 Piroska u. 97. in Porto Alegre",
        "6076 Piroska u. 97",
        "STREET_ADDRESS",
    );
    must(
        "The bus drops you off at 9383 ul. Chrzanowska 61 St.",
        "9383 ul. Chrzanowska 61",
        "STREET_ADDRESS",
    );
    must(
        "send it to 1737 Cheriton Dr Reuquén Extensions please",
        "1737 Cheriton Dr Reuquén Extensions",
        "STREET_ADDRESS",
    );
    must(
        "Please return to Unit 4719 Box 7394\nDPO AP 70942 in case of an issue.",
        "Unit 4719 Box 7394\nDPO AP 70942",
        "STREET_ADDRESS",
    );
    must(
        "send a new one to 14 Crown Street\n Suite 321\n LONDON\n United Kingdom 75419? I am away",
        "14 Crown Street\n Suite 321\n LONDON\n United Kingdom 75419",
        "STREET_ADDRESS",
    );
    must(
        "Our offices are located at USNS Møller\nFPO AA 85844",
        "USNS Møller\nFPO AA 85844",
        "STREET_ADDRESS",
    );
    must(
        "The letter arrived at 6400 12 Timms Drive Suite 215 NUNGATTA Australia last night.",
        "6400 12 Timms Drive Suite 215 NUNGATTA Australia",
        "STREET_ADDRESS",
    );
    must(
        "Please return to 6639 Canónigo Valiño 70\n Apt. 758\n Almussafes\n Spain 97197 soon",
        "6639 Canónigo Valiño 70\n Apt. 758\n Almussafes\n Spain 97197",
        "STREET_ADDRESS",
    );
    // A place no list knows, after a place cue; an ordinary word there is not one.
    must(
        "Mr. Pálffy is a 19 year old man who grew up in SUND.",
        "SUND",
        "LOCATION",
    );
    must("We moved here from Tjæreborg", "Tjæreborg", "LOCATION");
    must(
        "home city Villafranca del Cid: White",
        "Villafranca del Cid",
        "LOCATION",
    );
    none("I'm in Sales and I live in Support.");
    must(
        "The Princess Royal arrived at Khandallah this morning",
        "Khandallah",
        "LOCATION",
    );
    must(
        "Where: UPTON SCUDAMORE Country Club.",
        "UPTON SCUDAMORE",
        "LOCATION",
    );
    must(
        "The title refers to a street in Highveld.",
        "Highveld",
        "LOCATION",
    );
    none("we arrived at the hotel at 5 and met in Room 12");
    untouched("It is at 4200 Bay Street. The rent is fine.", "The rent");
    // A Luhn-valid 16-digit number outside the issuer table is still read as a card.
    must(
        "What's your credit card? 3522235032377454",
        "3522235032377454",
        "CREDIT_CARD",
    );
}

#[test]
fn context_from_the_previous_turn() {
    let mut c = Conversation::new();
    c.push(Some("agent"), "Can I get your date of birth please?");
    let t = "march third nineteen eighty two";
    let f = c.push(Some("customer"), t);
    assert!(covered(t, t, EntityType::DateOfBirth, &f), "{f:?}");

    let mut c = Conversation::new();
    c.push(Some("agent"), "who am i speaking with today?");
    let t = "jane doe";
    let f = c.push(Some("customer"), t);
    assert!(covered(t, t, EntityType::Person, &f), "{f:?}");

    // A name given once is recognized when it comes back later in the call, and the
    // conversation's debug output shows none of it.
    let mut c = Conversation::new();
    c.push(Some("customer"), "my name is jasbir singh");
    c.push(Some("agent"), "thanks, one moment");
    let t = "can you tell jasbir the balance";
    let f = c.push(Some("customer"), t);
    assert!(covered(t, "jasbir", EntityType::Person, &f), "{f:?}");
    let debug = format!("{c:?}");
    assert!(
        !debug.contains("jasbir") && !debug.contains("singh"),
        "{debug}"
    );

    // The previous turn's question still types a number after "it's" (a name cue) in the
    // answer; "dash" said between groups joins them.
    let mut c = Conversation::new();
    c.push(
        Some("agent"),
        "I'll need your social security number to continue.",
    );
    let t = "sure it's five three six two two one eight four seven";
    let f = c.push(Some("customer"), t);
    assert!(
        covered(
            t,
            "five three six two two one eight four seven",
            EntityType::UsSsn,
            &f
        ),
        "{f:?}"
    );
    must(
        "social security number seven seven one dash five oh dash two two nine eight",
        "seven seven one dash five oh dash two two nine eight",
        "US_SSN",
    );
    must(
        "my social's two one nine oh nine four four one two",
        "two one nine oh nine four four one two",
        "US_SSN",
    );
    none("read chapter two dash three please");

    // A card said over two turns of the same speaker.
    let mut c = Conversation::new();
    c.push(Some("agent"), "what's the card number?");
    let a = "four one one one one one one one";
    let b = "one one one one one one one one";
    let fa = c.push(Some("customer"), a);
    let fb = c.push(Some("customer"), b);
    assert!(covered(a, a, EntityType::CreditCard, &fa), "{fa:?}");
    assert!(covered(b, b, EntityType::CreditCard, &fb), "{fb:?}");

    // A cue answered in its own turn is not a question for the next: after the card was
    // given, the next number of the call is read on its own (a phone number here), whether
    // the card was said with its cue or after the agent's question.
    for first in [
        vec![(
            "customer",
            "my card is four one one one one one one one one one one one one one one one and the cvv is 123",
        )],
        vec![("customer", "my card is 4111 1111 1111 1111")],
        vec![
            ("agent", "what's the card number?"),
            ("customer", "4111 1111 1111 1111"),
        ],
    ] {
        let mut c = Conversation::new();
        for (speaker, text) in &first {
            c.push(Some(speaker), text);
        }
        let t = "Call me at 415-555-0134";
        let f = c.push(Some("customer"), t);
        assert!(covered(t, "415-555-0134", EntityType::PhoneNumber, &f), "{first:?}: {f:?}");
    }
    // A complete value at the end of a turn does not swallow the speaker's next number.
    let mut c = Conversation::new();
    c.push(
        Some("customer"),
        "my card is 5500 0000 0000 0004 and the cvv is 123",
    );
    let t = "4111 1111 1111 1111";
    let f = c.push(Some("customer"), t);
    assert!(covered(t, t, EntityType::CreditCard, &f), "{f:?}");
    // A question still open carries, also past a name the agent said after it.
    let mut c = Conversation::new();
    c.push(Some("agent"), "and the cvv on the back, Maria?");
    let t = "it's 123";
    let f = c.push(Some("customer"), t);
    assert!(covered(t, "123", EntityType::CardCvv, &f), "{f:?}");

    let mut c = Conversation::new();
    c.push(Some("customer"), "the card is 4111 1111");
    let debug = format!("{c:?}");
    assert!(!debug.contains("4111"), "{debug}");
}

/// Runs one call; returns the last turn's text and findings.
fn last_turn<'a>(turns: &[(&str, &'a str)]) -> (&'a str, Vec<callvault_detect::Finding>) {
    let mut c = Conversation::new();
    let mut last = ("", Vec::new());
    for (speaker, text) in turns {
        last = (*text, c.push(Some(speaker), text));
    }
    last
}

/// A call's turns (speaker, text), a value in the last turn, and the type it must get.
type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, EntityType);

#[test]
fn questions_stay_open_until_a_value_of_their_type_answers() {
    use EntityType as T;
    let cases: &[Case] = &[
        // The customer fetches the card, the agent waits: the question still types the answer.
        (
            &[
                ("agent", "What's the CVV on the back?"),
                ("customer", "hold on let me grab it"),
                ("customer", "okay it's 123"),
            ],
            "123",
            T::CardCvv,
        ),
        (
            &[
                ("agent", "What's your PIN?"),
                ("customer", "umm"),
                ("customer", "4321"),
            ],
            "4321",
            T::Credential,
        ),
        (
            &[
                ("agent", "What's your zip code?"),
                ("customer", "uh yeah"),
                ("customer", "94107"),
            ],
            "94107",
            T::ZipCode,
        ),
        (
            &[
                ("agent", "What's your date of birth?"),
                ("customer", "hold on my phone is ringing"),
                ("customer", "march third nineteen eighty two"),
            ],
            "march third nineteen eighty two",
            T::DateOfBirth,
        ),
        (
            &[
                ("agent", "and your social security number?"),
                ("customer", "sure"),
                ("customer", "oh seven eight oh five one one two zero"),
            ],
            "oh seven eight oh five one one two zero",
            T::UsSsn,
        ),
        // The customer's own word ("my card") does not replace the agent's question.
        (
            &[
                ("agent", "What's the security code on the back?"),
                ("customer", "hold on let me grab my card"),
                ("customer", "okay it's 123"),
            ],
            "123",
            T::CardCvv,
        ),
        // A value of another type in the question does not answer it.
        (
            &[
                ("agent", "What's the CVV for the card ending in 4242?"),
                ("customer", "123"),
            ],
            "123",
            T::CardCvv,
        ),
        (
            &[
                (
                    "agent",
                    "What's the zip code for your address in San Francisco?",
                ),
                ("customer", "94107"),
            ],
            "94107",
            T::ZipCode,
        ),
        (
            &[
                ("agent", "What's the expiration on the card ending in 4242?"),
                ("customer", "04/27"),
            ],
            "04/27",
            T::CardExpiry,
        ),
        (
            &[
                ("agent", "What's the security code on the back?"),
                ("agent", "Take your time, Maria."),
                ("customer", "123"),
            ],
            "123",
            T::CardCvv,
        ),
        // Questions of several parts: each part types its own answer.
        (
            &[
                (
                    "agent",
                    "what's your phone number and the last four of your social?",
                ),
                ("customer", "415 555 0134 and 1120"),
            ],
            "1120",
            T::UsSsn,
        ),
        (
            &[
                (
                    "agent",
                    "Can I get your date of birth and the last four of your social?",
                ),
                (
                    "customer",
                    "march third nineteen eighty two and one one two zero",
                ),
            ],
            "march third nineteen eighty two",
            T::DateOfBirth,
        ),
        (
            &[
                (
                    "agent",
                    "Can I have the card number, the expiration date and the security code?",
                ),
                ("customer", "4111 1111 1111 1111, 04/27, 123"),
            ],
            "123",
            T::CardCvv,
        ),
        (
            &[
                (
                    "agent",
                    "Can I have the card number and the expiration date?",
                ),
                ("customer", "4111 1111 1111 1111"),
                ("customer", "04/27"),
            ],
            "04/27",
            T::CardExpiry,
        ),
        // A cue of the answer's own that does not fit leaves the question to type it.
        (
            &[
                ("agent", "What's the security code?"),
                ("customer", "the code on my card is 123"),
            ],
            "123",
            T::CardCvv,
        ),
        // After a whole card its expiry and code come, often bare.
        (
            &[
                ("customer", "my card number is 4111 1111 1111 1111"),
                ("customer", "04 27"),
            ],
            "04 27",
            T::CardExpiry,
        ),
        (
            &[
                (
                    "agent",
                    "Can I get the card number and the security code please?",
                ),
                ("customer", "4111 1111 1111 1111"),
                ("customer", "123"),
            ],
            "123",
            T::CardCvv,
        ),
        // Asking to wait keeps the question open, even a generic one.
        (
            &[
                ("agent", "what's your order number?"),
                ("customer", "hold on"),
                ("customer", "let me grab it"),
                ("customer", "48213077"),
            ],
            "48213077",
            T::AccountId,
        ),
        (
            &[
                ("agent", "What's the CVV on the back?"),
                ("customer", "one sec"),
                ("agent", "sure"),
                ("customer", "hang on, I can't find it"),
                ("agent", "no problem"),
                ("customer", "123"),
            ],
            "123",
            T::CardCvv,
        ),
        // An amount word only keeps a number from the questions a card implies: a question
        // said, or a cue in the turn, still types it.
        (
            &[
                ("agent", "what's your account number?"),
                ("customer", "the one on my bill is 48213"),
            ],
            "48213",
            T::AccountId,
        ),
        (
            &[("customer", "the bank account for the deposit is 482913")],
            "482913",
            T::BankAccount,
        ),
        (
            &[
                ("agent", "and the zip code?"),
                ("customer", "the zip on my bill is 94110"),
            ],
            "94110",
            T::ZipCode,
        ),
        // A question after the card does not close its implied code.
        (
            &[
                ("customer", "4111 1111 1111 1111, did you get that?"),
                ("customer", "123"),
            ],
            "123",
            T::CardCvv,
        ),
        // A four-digit code read in pairs, when no expiry was asked.
        (
            &[
                ("agent", "What's the four digit security code on the front?"),
                ("customer", "12 34"),
            ],
            "12 34",
            T::CardCvv,
        ),
        (
            &[
                ("agent", "And the expiration date and the security code?"),
                ("customer", "12 34"),
            ],
            "12 34",
            T::CardExpiry,
        ),
        // The card's implicit questions stay open while the customer answers them in turn.
        (
            &[
                ("customer", "my card number is 4111 1111 1111 1111"),
                ("customer", "04 27"),
                ("customer", "123"),
            ],
            "123",
            T::CardCvv,
        ),
        (
            &[
                ("customer", "my card number is 4111 1111 1111 1111"),
                ("customer", "123"),
                ("customer", "04 27"),
            ],
            "04 27",
            T::CardExpiry,
        ),
        // A number begun at the end of a turn is typed by its cue at once, and goes on in the
        // speaker's next turn, past the other party's "okay".
        (
            &[("customer", "my phone number is 415 555")],
            "415 555",
            T::PhoneNumber,
        ),
        (
            &[("customer", "my number is 415 555"), ("customer", "0134")],
            "0134",
            T::PhoneNumber,
        ),
        (
            &[
                ("agent", "what's the best callback number?"),
                ("customer", "four one five"),
                ("customer", "five five five"),
                ("customer", "zero one three four"),
            ],
            "zero one three four",
            T::PhoneNumber,
        ),
        (
            &[
                ("agent", "what's the card number?"),
                ("customer", "4111"),
                ("agent", "okay"),
                ("customer", "1111"),
                ("agent", "mhm"),
                ("customer", "1111"),
            ],
            "1111",
            T::CreditCard,
        ),
        // Read in groups with the other party's "okay Maria" or read-back between: the
        // first group does not close the question, the digits go on.
        (
            &[
                (
                    "agent",
                    "What's the card number and the security code on the back?",
                ),
                ("customer", "4532"),
                ("agent", "okay, thank you Maria"),
                ("customer", "0151"),
                ("agent", "4532 0151, mhm"),
                ("customer", "1283"),
                ("customer", "0366"),
            ],
            "0366",
            T::CreditCard,
        ),
        (
            &[
                ("agent", "What's your social security number?"),
                ("customer", "078"),
                ("agent", "078"),
                ("customer", "05"),
                ("agent", "okay"),
                ("customer", "1120"),
            ],
            "1120",
            T::UsSsn,
        ),
        // A code said digit by digit.
        (
            &[
                ("agent", "what's the CVV on the back?"),
                ("customer", "1 2 3"),
            ],
            "1 2 3",
            T::CardCvv,
        ),
        // A value said before the question in the same turn does not answer it.
        (
            &[
                (
                    "agent",
                    "I have 415 555 0134 on file, is there a better callback number?",
                ),
                ("customer", "yes, it's 628 555 0199"),
            ],
            "628 555 0199",
            T::PhoneNumber,
        ),
        // A whole value is not continued: the next number is read on its own.
        (
            &[
                ("customer", "the zip is 94107"),
                ("customer", "415 555 0134"),
            ],
            "415 555 0134",
            T::PhoneNumber,
        ),
    ];
    for (turns, value, want) in cases {
        let (text, found) = last_turn(turns);
        assert!(covered(text, value, *want, &found), "{turns:?}: {found:?}");
    }
}

#[test]
fn amounts_after_a_question_stay_amounts() {
    for turns in [
        &[
            ("customer", "my card number is 4111 1111 1111 1111"),
            ("agent", "thanks. the balance is $3,500"),
        ][..],
        &[
            ("agent", "Can I have the card number?"),
            ("customer", "4111 1111 1111 1111"),
            (
                "agent",
                "Thanks. Your total today is 129 dollars and 99 cents.",
            ),
        ][..],
        &[
            ("agent", "what's your account number?"),
            ("customer", "I want to send 1220 dollars to Jasbir"),
        ][..],
        // An amount word right before a short number: not the code a card implies.
        &[
            ("customer", "my card number is 4111 1111 1111 1111"),
            ("customer", "04 27"),
            ("agent", "the balance is 250"),
        ][..],
    ] {
        let (text, found) = last_turn(turns);
        assert!(
            found.iter().all(|f| f.entity == EntityType::Person),
            "{text:?}: {found:?}"
        );
    }
}

#[test]
fn streaming_holds_back_numbers_in_progress() {
    let mut s = StreamRedactor::new(Policy::default());
    for partial in [
        "my number is four",
        "my number is four one five",
        "my number is four one five five five five",
    ] {
        let p = s.partial(Some("customer"), partial);
        assert!(
            !p.text.contains("four") && !p.text.contains("five"),
            "{}",
            p.text
        );
    }
    let f = s.finalize(
        Some("customer"),
        "my number is four one five five five five one two one two",
    );
    assert!(f.text.contains("[PHONE_NUMBER_1]"), "{}", f.text);
}

#[test]
fn false_positive_traps() {
    none("Your order total is $1,299.99 and shipping is 49.99.");
    none("We open at 10:30 am and close at 9 pm, Monday to Friday.");
    none("I ordered 3 boxes and 12 units of item 42.");
    none("The 2021 model has been around since 2019.");
    none("It will take about five to seven business days.");
    none("There is a grace period of thirty days.");
    none("you may call back anytime, we will be here");
    none("that comes to forty nine ninety nine plus tax");
    none("the appointment is on march third at three thirty pm");
    none("Turn the thermostat to 72 degrees, it's 20% off today.");
}

#[test]
fn a_north_american_number_is_one_value_with_or_without_its_country_code() {
    let value = |text: &str| {
        let found = detect(text);
        assert_eq!(found.len(), 1, "{text}: {found:?}");
        assert_eq!(found[0].entity, EntityType::PhoneNumber, "{text}");
        found[0].value.expose_secret().to_owned()
    };
    for text in [
        "call me at +1 415 555 0134",
        "call me at 1-415-555-0134",
        "call me at (415) 555-0134",
        "my number is one four one five five five five zero one three four",
    ] {
        assert_eq!(value(text), "4155550134", "{text}");
    }
    // Other countries keep their code.
    assert_eq!(value("call me at +44 20 7946 0958"), "442079460958");
}

#[test]
fn waiting_keeps_a_question_open_only_twice() {
    let mut turns = vec![
        ("agent", "What's the CVV on the back?"),
        ("customer", "hold on"),
        ("customer", "one sec"),
        ("customer", "hang on"),
        ("agent", "okay"),
    ];
    turns.push(("customer", "123"));
    let (_, found) = last_turn(&turns);
    assert!(
        found.iter().any(|f| f.entity == EntityType::CardCvv),
        "three turns after the question, two of them waiting: {found:?}"
    );
    turns.insert(5, ("agent", "still there?"));
    let (_, found) = last_turn(&turns);
    assert!(found.is_empty(), "the question has closed: {found:?}");
}
