"""Each rule family in dialogs/content/safety.toml, on literal messages.

A family is one published warning sign (a ``[[safety.category]]``). For each: messages it must
notice as that category (plain, oblique, chat spelling, typos, no punctuation), and look-alikes
it must leave alone (idioms, negations, ordinary life). The figures over the whole labelled
corpus are in ``test_safety_corpus.py`` and ``make bench``.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from dialogs.safety import assess, framed
from dialogs.script import Script

NOTICED: dict[str, list[str]] = {
    "wish_to_die": [
        "the only way this stops is if im dead",
        "I want to kill myself",
        "i wanna kil myslef",
        "honestly i want to die",
        "im suicdal",
        "I've been having thoughts of suicide",
        "I'd rather be dead than live like this",
        'i keep thinking "just end it"',
        "my cousin says he's planning to take his own life",
        'the voice in my head keeps going "you should die"',
    ],
    "not_existing": [
        "pls let me not wake up",
        "I just want to disappear",
        "i wish i could stop existing",
        "I want to go to sleep and never wake up",
        "i dont want to be alive anymore",
        "I wish I'd never been born",
        "i wish i could drop off the face of the earth",
        "staying alive feels like a chore",
        "i'm tired of living, and i'm done with it",
        "i need to cease to exist",
        "part of me prays i don't wake up",
        "i'm not planning on staying alive much longer",
        "i'd give anything to stop existing",
        "i wouldn't mind if tonight was my last night",
    ],
    "hopelessness": [
        "alone forever. not worth sticking around for",
        "honestly I don't see the point of anything anymore",
        "there's no reason for me to go on",
        "i have nothing to live for",
        "i don't have anything to live for",
        "life isn't worth living anymore",
        "nothing will ever get better",
        "there's no purpose left in living",
        "i've lost the last shred of hope",
        "they say it'll get better. never for someone like me",
        "what use am i anymore",
        "i've stopped hoping things will get better",
        "i ran out of hope to go on",
        "i have zero reasons to live for",
    ],
    "trapped_or_unbearable": [
        "I can't take it anymore",
        "i cant do this anymore",
        "the pain is unbearable",
        "I feel so trapped",
        "it's too much i can't take it",
        "I can't take it anymore, I failed my exam and everything is ruined",
        "i can't bear this hurt anymore",
        "i don't know how much longer i can go on",
    ],
    "burden": [
        "My children would do better with their dad alone",
        "i keep thinking i should remove myself from the equation",
        "everyone would be better off if I was dead",
        "Everyone would be better off without me",
        "i'm just a burden to everyone",
        "if i disappeared nobody would care",
        "it would be better for everyone if i was gone",
        "if i wasn't here my family would be happier",
        "who would come to my funeral",
        "my wife would have a happier life without me",
        "no one would cry at my funeral anyway",
    ],
    "goodbye_giving_away": [
        "letters r in the top drawer. for after",
        "if this is the last time i message here, thank u for listening",
        "I wrote goodbye letters to my family",
        "i've been giving my stuff away",
        "I gave away my guitar, I won't need it anymore",
        "this is my last message",
        "please look after my dog when i'm gone",
        "goodbye, thank you for everything",
        "take this as my farewell to everyone",
        "if you find this i have already gone",
        "once you get my message i'll be gone",
    ],
    "method_plan_attempt": [
        "googled painless ways again",
        "tried before. pills. might again",
        "been googling which buildings downtown have roof access",
        "I took too many pills last night on purpose",
        "i took like 30 pills",
        "I tried to kill myself last year",
        "i've been stockpiling my meds",
        "ive planned how im going to do it",
        "I have everything I need to end it",
        "i've been looking at the bridge",
        "i was about to swallow the whole bottle when he called",
        "the knife's in my drawer and i know what it's for",
        "i've picked out the place.",
        "i was leaning over the edge of the multi storey",
        "i went up to the roof of the hospital to jump",
    ],
    "self_harm": [
        "urges r so bad tonight",
        "wearing long sleeves in july so mum wont see my arms",
        "i cut myself last night",
        "I've started cutting again",
        "I hurt myself on purpose",
        "i burn myself with a lighter",
        "I wear long sleeves to hide my scars",
        "relapsed again, there's blood on my wrists",
        "i scalded myself with the kettle on purpose",
        "my son keeps hurting himself",
        "sh again last night, nobody knows",
        "did sh last night",
    ],
    "violence": [
        "wearing makeup over the bruise so my friend doesnt ask",
        "he hits me",
        "my boyfriend slapped me",
        "he pushed me and i fell",
        "he slammed my head into the wall",
        "my partner is violent",
        "he hurt me last night",
        "her hands were around my neck",
        "there are bruises where she grabbed me",
    ],
    "sexual_coercion": [
        "he does stuff when im asleep",
        "my manager says my contract renewal depends on me being 'nicer' to him after hours",
        "my boss said i'd get the promotion if i slept with him",
        "he forced me to have sex",
        "i said no but he didn't stop",
        "he gets angry if i don't sleep with him",
        "i woke up and he was touching me",
        "he threatened to share my nudes",
        "she keeps pressuring me for explicit pics",
        "he slipped the condom off halfway through",
    ],
    "threats": [
        "he showed me the gun in the drawer and said 'just so you know where it is'",
        "he said he'd kill me if I left",
        "she threatens to take the kids",
        "he told me he knows where i live and he'll come for me",
        "I'm scared of him",
        "she texted “I’ll kill myself if you go”",
        "he smashed the mirror inches from my head",
        "i'm terrified of what she'll do to me",
        "she said no one would ever find my body",
    ],
    "stalking": [
        "my ex keeps showing up at my work",
        "he keeps turning up wherever i am",
        "he made a new account to message me after I blocked him",
        "i blocked him but he keeps making new numbers to call me",
        "i found an airtag in my car",
        "somehow he found my new flat",
        "he made a fake profile to see my posts",
        "i changed my email and she still found me",
    ],
    "monitoring": [
        "he checks the car mileage",
        "he checks my phone and tells me who I'm allowed to see",
        "he checks who i've been texting",
        "she installed an app on my phone to track me",
        "he makes me share my location",
        "she monitors everything i do online",
        "she always checks where my car is",
        "she checks every message i get",
        "i had to give her all my bank logins",
    ],
    "isolation": [
        "i have to ask her before i go anywhere, even the shop",
        "he won't let me see my friends",
        "he tells me what to wear",
        "he took my car keys so i can't leave",
        "i can't go anywhere without his permission",
        "he says my friends are a bad influence and I can't see them",
        "i haven't visited my parents for a year because of her",
        "talking to guy friends counts as cheating apparently",
    ],
    "financial_control": [
        "she takes my whole paycheck",
        "he takes all my money",
        "i have to ask him for money",
        "he won't give me access to money",
        "he took out loans in my name",
        "he says i can't go back to work",
        "she stole my identity to open a card",
    ],
    "degradation": [
        "she laughs when i cry and films it",
        "maybe i am remembering wrong. he says i always do",
        "he makes me beg for food",
        "he calls me worthless",
        "she says no one else would ever want me",
        "he constantly criticises me",
        "he makes fun of me in front of everyone",
        "he twists my words until i doubt myself",
        "she makes me question my own memory",
        "she yelled you are worthless without me",
    ],
    "abuse_general": [
        "my husband is abusive",
        "i think my relationship is abusive",
        "I got a restraining order against him",
        "i'm being abused",
    ],
}

LOOK_ALIKES: dict[str, list[str]] = {
    "wish_to_die": [
        "this job is killing me",
        "I could kill for a holiday",
        "I nearly died laughing",
        "i nearly killed myself laughing",
        "I'm not suicidal, just sad",
        "i want to die my hair blue",
    ],
    "not_existing": [
        "I want to disappear from social media for a while",
        "i don't want to live with my parents anymore",
        "he disappeared off the face of the earth after our date",
        "i wish i could vanish from the group chat",
        "living with him is exhausting",
    ],
    "hopelessness": [
        "I give up on him",
        "no point in texting him anymore",
        "there's no future for us",
        "I've given up hope she'll call",
        "nothing will change unless we talk",
    ],
    "trapped_or_unbearable": [
        "I can't take this heat anymore",
        "i feel trapped in this job",
        "i can't go on like this with him, something has to change",
        "i can't go on one more date with him",
    ],
    "burden": [
        "i'm a burden on the group project, i haven't done my part",
        "sorry for being a burden asking my dad for a lift",
        "i feel like a burden when i ask for help with my essay",
    ],
    "goodbye_giving_away": [
        "found a new home for the cat because my new landlord doesn't allow pets",
        "one last hug at the airport before her flight",
        "I gave away my old books",
        "this is goodbye for now, I'm moving to Spain",
        "i gave my cat away because my new flat doesn't allow pets",
        "I said goodbye to my friends at the airport",
    ],
    "method_plan_attempt": [
        "googled painless ways to break up with someone",
        "I took two paracetamol for my headache",
        "I have a plan for the weekend",
        "I'm going to jump in the pool",
        "I was going to take them all to the park but it rained",
    ],
    "self_harm": [
        "I cut my hair short",
        "i cut my finger cooking",
        "I cut him off",
        "burned my hand on the baking tray",
        "the puppy bit my hand",
        "sh, be quiet, the baby is asleep",
        "ssh into the server first",
    ],
    "violence": [
        "he beat me at chess",
        "she pushed me on the swing",
        "He hit me up last night",
        "makeup over the spot on my chin before the date",
    ],
    "sexual_coercion": ["he forces me to go to the gym lol"],
    "threats": [
        "My mum would kill me if she found out",
        "he said he'd kill for a beer",
        "she threatened to break up with me",
        "I'm scared of spiders",
    ],
    "stalking": ["he follows me on instagram", "my ex turned up at a mutual friend's barbecue"],
    "monitoring": [
        "he doesn't check my phone",
        "he took my phone to look at the photos from the trip",
        "he checked where my phone was because i lost it",
    ],
    "isolation": [
        "my friend is so controlling about plans lol",
        "i'm not allowed to wear trainers at work",
    ],
    "financial_control": ["she takes care of the bills because she's better with money"],
    "degradation": ["he called me beautiful", "i twisted my ankle", "he says i got the date wrong"],
    "abuse_general": ["he never hit me", "my aunt volunteers for a domestic abuse charity"],
}


@pytest.mark.parametrize(
    ("category", "text"), [(c, t) for c, texts in NOTICED.items() for t in texts]
)
def test_each_family_notices_its_warning_sign(script: Script, category: str, text: str) -> None:
    finding = assess(text, script.safety)
    assert finding is not None, f"{category} missed {text!r}"
    assert category in finding.categories


@pytest.mark.parametrize(
    ("category", "text"), [(c, t) for c, texts in LOOK_ALIKES.items() for t in texts]
)
def test_each_family_leaves_its_look_alikes_alone(script: Script, category: str, text: str) -> None:
    assert assess(text, script.safety) is None, f"{category} look-alike {text!r} was noticed"


def test_every_family_in_the_content_is_tested(script: Script) -> None:
    ids = {c.id for c in script.safety.categories}
    assert set(NOTICED) == ids
    assert set(LOOK_ALIKES) == ids


# --------------------------------------------------------------------------------------------
# Frames: a joke, a story, study or work about it, a past that is over


FRAMED = [
    "if he posts one more gym selfie i'm gonna die 💀",
    "traffic is the worst i want to die lol",
    "my character tries to jump off a bridge in chapter 3",
    "the abuse storyline in that show was so well written",
    "i volunteer at a women's shelter on saturdays",
    "i used to self harm as a teen but that's years behind me now",
]
UNFRAMED = [
    "i want to die",
    "he hit me again last night",
    "i have the rope in my car",
    "kms lol i mean it this time",
    "haha no joke i want to die",
]


@pytest.mark.parametrize("text", FRAMED)
def test_a_joke_a_story_study_or_a_past_is_framed(script: Script, text: str) -> None:
    assert framed(text, script.safety)


@pytest.mark.parametrize("text", UNFRAMED)
def test_a_plain_concern_is_not_framed(script: Script, text: str) -> None:
    assert not framed(text, script.safety)


@pytest.mark.parametrize("text", FRAMED)
def test_a_framed_concern_stands_when_there_is_no_second_reader(script: Script, text: str) -> None:
    assert assess(text, script.safety) is not None


@pytest.mark.parametrize("text", FRAMED)
def test_a_framed_message_is_cleared_only_when_the_second_reader_is_sure(
    script: Script, text: str
) -> None:
    sure = replace(script.safety, clear=lambda _: True)
    unsure = replace(script.safety, clear=lambda _: False)
    assert assess(text, sure) is None
    assert assess(text, unsure) == assess(text, script.safety)
    assert assess(text, sure, second_look=False) is not None


@pytest.mark.parametrize("text", UNFRAMED)
def test_an_unframed_concern_is_never_cleared_even_by_a_sure_reader(
    script: Script, text: str
) -> None:
    asked: list[str] = []

    def sure(message: str) -> bool:
        asked.append(message)
        return True

    assert assess(text, replace(script.safety, clear=sure)) is not None
    assert asked == []
