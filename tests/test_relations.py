"""The relation finder against ../shared/docs/RELATIONS_POLICY.md: every example of the policy, voice,
nominalisations, joint actions, several relations per sentence, negation, conditions and questions,
non-actors, Chinese and Russian, the lexicon file, and the evidence each relation keeps."""

from __future__ import annotations

import pytest
from newsmon.config import ConfigError
from newsmon.relations import (
    CLASSES,
    DEFAULT_LEXICON_FILE,
    RelationFinder,
    load_lexicon,
    parse_lexicon,
    relations_of_text,
    score_labelled,
)

DAY = "2026-11-28"
VC, MC, VX, MX = CLASSES  # verbal/material cooperation, verbal/material conflict


def tuples(text: str, title: str | None = None) -> set[tuple[str, str, str]]:
    return {(r.source, r.target, r.cls) for r in relations_of_text(text, DAY, title)}


# ---------------------------------------------------------------------------------------------------- policy


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the four classes, with the policy's own examples
        ("Wang said China would deepen strategic mutual trust with Russia.", {("CN", "RU", VC)}),
        ("China and Russia signed agreements on natural gas.", {("CN", "RU", MC), ("RU", "CN", MC)}),
        ("Wang Yi blamed the US for the deterioration in relations.", {("CN", "US", VX)}),
        ("Washington imposed sanctions on Russian banks.", {("US", "RU", MX)}),
        # direction
        ("The US sanctioned Russian banks.", {("US", "RU", MX)}),
        ("Russian and Chinese ships held joint drills.", {("CN", "RU", MC), ("RU", "CN", MC)}),
        ("Beijing praised Moscow and criticised Washington.", {("CN", "RU", VC), ("CN", "US", VX)}),
        # reported relations count
        ("Officials said Moscow had warned Washington.", {("RU", "US", VX)}),
        # actors: officials, ministries, capitals, office holders
        (
            "Chinese foreign ministry spokesperson Mao Ning accused Washington of hypocrisy.",
            {("CN", "US", VX)},
        ),
        ("A Pentagon official criticised Beijing over the drills.", {("US", "CN", VX)}),
        ("Russian diplomats lodged a protest with the US embassy.", {("RU", "US", VX)}),
        ("Lavrov warned Washington against new sanctions.", {("RU", "US", VX)}),
        ("The Kremlin thanked Beijing for its support.", {("RU", "CN", VC)}),
        # each class in its other forms
        ("Russia supplied China with oil at a discount.", {("RU", "CN", MC)}),
        ("Washington expelled two Russian diplomats.", {("US", "RU", MX)}),
        ("Moscow summoned the US ambassador.", {("RU", "US", VX)}),
        ("The US lifted sanctions on a Chinese shipping firm.", {("US", "CN", MC)}),
    ],
)
def test_policy_examples(text, expected):
    assert tuples(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # co-mentions, not relations
        "China, Russia and the US all sent delegations to Geneva.",
        "Trade between China and Russia grew 5% last year.",
        # negated actions are not the action
        "China did not condemn Russia's invasion.",
        "Beijing refused to criticise Moscow.",
        # hypotheticals and questions
        "If Washington imposed tariffs on Chinese goods, Beijing would retaliate.",
        "Will Washington impose new tariffs on Chinese steel?",
        "Washington could impose sanctions on Russian banks.",
        # companies and private persons are not actors
        "A Chinese carmaker opened a plant in Russia.",
        "China's BYD signed a supply deal with Russia.",
        "Russian tourists praised Beijing's hospitality.",
        # toward itself or an unwatched country
        "China criticised Chinese exporters for dumping.",
        "Russia praised India for its neutrality while China watched.",
        # passive with no actor named
        "Russian diplomats were expelled last week, the US embassy in Moscow said nothing.",
    ],
)
def test_not_relations(text):
    assert tuples(text) == set()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Russian banks were sanctioned by Washington.", {("US", "RU", MX)}),
        ("The sanctions imposed by Washington on Moscow took effect.", {("US", "RU", MX)}),
        ("The US sanctions on Russian banks took effect on Monday.", {("US", "RU", MX)}),
        ("Chinese criticism of Washington grew louder.", {("CN", "US", VX)}),
        ("Russia's expulsion of American diplomats drew a protest.", {("RU", "US", MX)}),
        ("American sanctions on Russia took effect.", {("US", "RU", MX)}),
    ],
)
def test_passive_and_nominalisations(text, expected):
    assert tuples(text) == expected


def test_intentions_and_pledges_are_verbal():
    assert tuples("Washington will impose tariffs on Chinese steel.") == {("US", "CN", VX)}
    assert tuples("Russia pledged to supply gas to China.") == {("RU", "CN", VC)}
    assert tuples("The US threatened to impose sanctions on Chinese banks.") == {("US", "CN", VX)}


def test_joint_meeting_with_a_watched_partner_goes_both_ways():
    assert tuples("Xi Jinping met Vladimir Putin in Moscow on Tuesday.") == {
        ("CN", "RU", VC),
        ("RU", "CN", VC),
    }
    assert tuples("Putin hosted Xi in the Kremlin.") == {("RU", "CN", VC)}  # hosting is directed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "中国外交部发言人表示，中方坚决反对美方对中国企业实施非法制裁。",
            {("CN", "US", VX), ("US", "CN", MX)},
        ),
        ("中俄两国签署了多项能源合作协议。", {("CN", "RU", MC), ("RU", "CN", MC)}),
        ("俄罗斯银行遭到美国制裁。", {("US", "RU", MX)}),
        ("中国没有谴责俄罗斯。", set()),
        ("如果美国对中国加征关税，中方将采取反制措施。", set()),
        ("Москва обвинила Вашингтон в эскалации.", {("RU", "US", VX)}),
        ("США ввели санкции против России.", {("US", "RU", MX)}),
        ("Пекин и Москва подписали соглашение о поставках газа.", {("CN", "RU", MC), ("RU", "CN", MC)}),
        ("Китай не осудил Россию.", set()),
    ],
)
def test_chinese_and_russian(text, expected):
    assert tuples(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # coordination with an article, and a coordinated verb after the object's own phrase
        (
            "Russia and the United States held consultations in Istanbul.",
            {("RU", "US", VC), ("US", "RU", VC)},
        ),
        (
            "Beijing praised Moscow's restraint and criticised Washington.",
            {("CN", "RU", VC), ("CN", "US", VX)},
        ),
        (
            "Moscow welcomed the US proposal but rejected Washington's demand for a withdrawal.",
            {("RU", "US", VC), ("RU", "US", VX)},
        ),
        # what a verbal cue is about is not an act of its own
        ("Rubio warned China against providing lethal aid to Russia.", {("US", "CN", VX)}),
        (
            "The State Department criticised Beijing for its support of Russia's defence industry.",
            {("US", "CN", VX)},
        ),
        ("白宫批评北京支持俄罗斯的军工产业。", {("US", "CN", VX)}),
        # a place after the actor, a product as object, a participle as adjective
        ("The Chinese embassy in Moscow congratulated Russia on its national day.", {("CN", "RU", VC)}),
        ("Russian forces shot down an American-made drone over Kursk.", set()),
        ("The US ban on Chinese-made connected cars takes effect in 2027.", {("US", "CN", MX)}),
        ("Moscow handed over two detained US citizens to American officials.", {("RU", "US", MC)}),
        # the actor after "by", also after a noun phrase; the target before "hit by"
        (
            "Beijing condemned the detention of a Chinese journalist by US immigration authorities.",
            {("CN", "US", VX), ("US", "CN", MX)},
        ),
        ("Russian banks hit by US sanctions have turned to Chinese lenders.", {("US", "RU", MX)}),
        ("China announced export controls on technology used by US drone makers.", {("CN", "US", MX)}),
        # a speaker's judgement of a country
        ("Lavrov said Washington's approach was destructive.", {("RU", "US", VX)}),
        ('Moscow called Washington\'s new nuclear posture "provocative and dangerous".', {("RU", "US", VX)}),
        # a meeting between two sides; a one-sided offer; a joint pledge
        (
            "Moscow said the meeting between Chinese and American officials was of no concern.",
            {("CN", "US", VC), ("US", "CN", VC)},
        ),
        ("Beijing said it was ready to work with Washington to stabilise relations.", {("CN", "US", VC)}),
        ("Xi and Putin pledged to deepen their strategic partnership.", {("CN", "RU", VC), ("RU", "CN", VC)}),
        # a noun cue needs its actor next to it: delegations sent to talks are a co-mention
        ("China, Russia and the United States all sent delegations to the climate talks in Belem.", set()),
        # quotes and figures inside cue phrases
        (
            'The Chinese foreign ministry expressed "strong dissatisfaction" with Washington.',
            {("CN", "US", VX)},
        ),
        ("Beijing extended a $10 billion credit line to Moscow's development bank.", {("CN", "RU", MC)}),
        # a cue phrase that ends in a preposition is no place ("hit back at Washington")
        ("China hit back at Washington on Friday.", {("CN", "US", VX)}),
        (
            "The Russian and Chinese presidents exchanged New Year greetings.",
            {("CN", "RU", VC), ("RU", "CN", VC)},
        ),
        ("Российские и американские дипломаты встретились в Стамбуле.", {("RU", "US", VC), ("US", "RU", VC)}),
        # "за" is not the conjunction "а": what is criticised stays the content of the criticism
        ("Вашингтон раскритиковал Пекин за поддержку российской армии.", {("US", "CN", VX)}),
        # a participial clause takes the main clause's actor; a relative clause's subject is its noun
        (
            "The US widened its restrictions on chip sales to China, adding 14 Chinese companies to a list.",
            {("US", "CN", MX)},
        ),
        ("Washington would act against companies that supplied Russia's military.", set()),
        # a passive agent is no subject for the next verb; coordinated agents of a mutual cue act jointly
        (
            "It studied the agreements signed by China and Russia, and warned Chinese banks against helping Moscow.",
            {("CN", "RU", MC), ("RU", "CN", MC)},
        ),
        ("分析人士指出，尽管美国提高了关税，中国出口依然保持韧性。", set()),
        # a Chinese relative clause describes a thing, it is not an act
        ("俄罗斯向中国供应的天然气量创新高。", set()),
        # a noun cue keeps its class under a distant modal
        (
            "Russia said it would retaliate against the expulsion of its diplomats by the United States.",
            {("RU", "US", VX), ("US", "RU", MX)},
        ),
    ],
)
def test_clause_rules(text, expected):
    assert tuples(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # receiving a visitor is hosting (one-way); receiving goods is not
        ("Putin received Chinese Foreign Minister Wang Yi at the Kremlin.", {("RU", "CN", VC)}),
        ("Xi received Putin in Beijing on Tuesday.", {("CN", "RU", VC)}),
        ("China received Russian oil worth $5 billion in May.", set()),
        # defending another country and offering it something are verbal cooperation
        ("Moscow defended Beijing's position on the South China Sea.", {("RU", "CN", VC)}),
        ("Beijing offered Moscow a larger yuan credit line.", {("CN", "RU", VC)}),
        # discussing, reaching an agreement and stepping up coordination are done together
        (
            "Russian and American diplomats discussed arms control in Geneva.",
            {("RU", "US", VC), ("US", "RU", VC)},
        ),
        (
            "China and the United States reached a deal on fentanyl controls.",
            {("CN", "US", VC), ("US", "CN", VC)},
        ),
        ("Russia and China intensified their coordination on Iran.", {("CN", "RU", VC), ("RU", "CN", VC)}),
        # harassing another country's forces is material conflict
        ("Chinese coast guard vessels harassed American survey ships.", {("CN", "US", MX)}),
        # "exports of X to" is a noun phrase, not the verb: a ban on it is no supply
        ("Beijing banned exports of gallium to the United States.", {("CN", "US", MX)}),
        # signing a roadmap or protocol is signing
        ("Russia and China signed a roadmap on lunar research.", {("CN", "RU", MC), ("RU", "CN", MC)}),
        # what is demanded has not happened
        ("Washington demanded that Beijing release the detained Americans.", {("US", "CN", VX)}),
        ("The US urged that Russia hand over the suspects.", {("US", "RU", VX)}),
        # Chinese: what an accusation alleges is not an act; what a condemnation judges is
        ("美国指责中国向俄罗斯出口无人机零部件。", {("US", "CN", VX)}),
        ("中方谴责美国对俄罗斯实施制裁。", {("CN", "US", VX), ("US", "RU", MX)}),
        # 驻 makes the next country a place: "China's ambassador to the US criticised the US"
        ("中国驻美国大使批评美方的关税政策。", {("CN", "US", VX)}),
    ],
)
def test_recall_rules_from_the_third_tuning_set(text, expected):
    assert tuples(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # hosting someone for talks: the talks are held together; sending a delegation is a visit (one-way)
        (
            "Beijing hosted Russian Foreign Minister Sergei Lavrov for talks on Iran.",
            {("CN", "RU", VC), ("RU", "CN", VC)},
        ),
        ("Moscow sent a delegation to Washington for consultations.", {("RU", "US", VC)}),
        # a call with an adjective before it is still a call
        ("Putin had a long phone call with Trump on Tuesday.", {("RU", "US", VC), ("US", "RU", VC)}),
        # "the two leaders" stands for the two countries the sentence names, only for cooperation
        (
            "Xi welcomed Putin in Beijing, where the two leaders held talks.",
            {("CN", "RU", VC), ("RU", "CN", VC)},
        ),
        ("Trump praised Putin, and the two leaders criticised the court ruling.", {("US", "RU", VC)}),
        # general cue vocabulary in the three languages
        ("Washington hit Moscow with fresh sanctions on Friday.", {("US", "RU", MX)}),
        ("The US and Russia inked a deal on fishing quotas.", {("RU", "US", MC), ("US", "RU", MC)}),
        ("Russia lauded China's peace plan.", {("RU", "CN", VC)}),
        ("Chinese customs officials said a Russian court ruling was irrelevant.", set()),
        ("中方怒斥美方的无端指责。", {("CN", "US", VX)}),
        ("中俄双方商讨能源合作。", {("CN", "RU", VC), ("RU", "CN", VC)}),
        ("Россия и Китай обсудили сотрудничество в Арктике.", {("CN", "RU", VC), ("RU", "CN", VC)}),
        ("Москва внесла американских сенаторов в санкционный список.", {("RU", "US", MX)}),
        # a deployment said to be aimed at a country is material conflict toward it
        ("Russia moved bombers to the Arctic to deter the United States.", {("RU", "US", MX)}),
        # "was open to talks" is one-sided and no passive
        ("Moscow said it was open to dialogue with Washington.", {("RU", "US", VC)}),
        # a planned trip is a visit
        ("The Kremlin said Putin would travel to China in May.", {("RU", "CN", VC)}),
        # two coordinated countries building ties between them: both ways
        ("Russia and China vowed to boost trade.", {("CN", "RU", VC), ("RU", "CN", VC)}),
        ("Russia and China vowed to boost support for Iran.", set()),
        # signing a joint statement is signing (material cooperation), as docs/relations.md reads the policy
        (
            "Putin and Xi signed a joint statement on a multipolar world.",
            {("CN", "RU", MC), ("RU", "CN", MC)},
        ),
        ("Russian troops opened fire on American drones.", {("RU", "US", MX)}),
        (
            "American and Chinese negotiators wrapped up two days of talks in London.",
            {("CN", "US", VC), ("US", "CN", VC)},
        ),
        # an adverb after the country is no head: "firmly" is not "a firm"
        ("China firmly opposes the US decision.", {("CN", "US", VX)}),
        ("A Chinese firm supplied Russia with drones.", set()),
        ("俄罗斯向中国提供了先进的防空系统。", {("RU", "CN", MC)}),
        ("中国外交部表示，美国的做法是霸凌行径。", {("CN", "US", VX)}),
        ("Лавров заявил, что Россия готова к диалогу с США.", {("RU", "US", VC)}),
    ],
)
def test_general_cues_and_pair_subjects(text, expected):
    assert tuples(text) == expected


# ---------------------------------------------------------------------------------------------------- evidence


def test_each_relation_keeps_sentence_cue_and_reported():
    text = "Markets were calm. Officials said Moscow had warned Washington. Nothing else happened."
    (rel,) = relations_of_text(text, DAY)
    assert rel.sentence == 1
    assert rel.evidence == "Officials said Moscow had warned Washington."
    assert rel.cue == "warned" and rel.reported is True
    assert rel.to_json() == {
        "source": "RU",
        "target": "US",
        "class": VX,
        "sentence": 1,
        "evidence": "Officials said Moscow had warned Washington.",
        "cue": "warned",
        "reported": True,
    }
    (direct,) = relations_of_text("Lavrov warned Washington against new sanctions.", DAY)
    assert direct.reported is False


def test_title_relations_have_sentence_minus_one():
    rels = relations_of_text("Nothing here.", DAY, title="US sanctions Russian banks")
    assert [(r.source, r.target, r.cls, r.sentence) for r in rels] == [("US", "RU", MX, -1)]


def test_one_relation_per_tuple_and_sentence():
    rels = relations_of_text(
        "Washington sanctioned Russian banks and imposed sanctions on Russian firms.", DAY
    )
    assert [(r.source, r.target, r.cls) for r in rels] == [("US", "RU", MX)]


# ---------------------------------------------------------------------------------------------------- lexicon


def test_bundled_lexicon_is_versioned_and_has_three_languages():
    lex = load_lexicon(DEFAULT_LEXICON_FILE)
    assert set(lex.languages) == {"en", "zh", "ru"}
    assert lex.version.startswith(lex.declared_version + "+") and len(lex.version.split("+")[1]) == 8


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("en: {}", "version"),
        ("version: '1'\nfr: {}", "unknown section"),
        (
            "version: '1'\nen:\n  verbal_cooperation:\n    verbs: ['prais(e']",
            "not a valid regular expression",
        ),
        ("version: '1'\nen:\n  verbal_cooperation:\n    verbs: ['(praise)']", "(?:...)"),
        ("version: '1'\nen:\n  verbal_conflict: {verbs: [accused]}\n  negators: [yes]", "true/false"),
        ("version: '1'\nen:\n  max_subject_gap: 0\n  verbal_conflict: {verbs: [accused]}", "above 0"),
        ("version: '1'\nen:\n  verbal_conflict: {verbs: [accused]}\n  speach: [said]", "unknown key"),
    ],
)
def test_bad_lexicon_is_a_clear_error(text, message):
    with pytest.raises(ConfigError, match=None) as info:
        parse_lexicon(text, source="rel.yaml")
    assert message in str(info.value) and str(info.value).startswith("rel.yaml")


def test_lexicon_is_data_a_new_cue_needs_no_code():
    base = "version: '1'\nen:\n  speech: [said]\n  verbal_conflict:\n    verbs: [accused]\n"
    finder = RelationFinder(parse_lexicon(base))
    with_cue = RelationFinder(parse_lexicon(base + "    nouns: [broadside against]\n"))
    text = "Moscow's broadside against Washington surprised diplomats."
    assert _score(finder, text) == set()
    assert _score(with_cue, text) == {("RU", "US", VX)}


def _score(finder: RelationFinder, text: str) -> set:
    from newsmon.tagging import default_tagger

    result = default_tagger().tag_article(None, text, DAY)
    return {(r.source, r.target, r.cls) for r in finder.find(result.mentions, text)}


def test_score_labelled_counts_tuples_direction_and_class():
    finder = RelationFinder()
    records = [
        {
            "text": "The US sanctioned Russian banks.",
            "relations": [{"source": "US", "target": "RU", "class": MX}],
        },
        {
            "text": "The US sanctioned Russian banks.",
            "relations": [{"source": "RU", "target": "US", "class": MX}],
        },
        {
            "text": "The US sanctioned Russian banks.",
            "relations": [{"source": "US", "target": "RU", "class": VX}],
        },
        {"text": "Trade between China and Russia grew.", "relations": []},
    ]
    s = score_labelled(finder, records)
    assert (s["tp"], s["fp"], s["fn"]) == (1, 2, 2)
    assert s["direction_accuracy"] == pytest.approx(2 / 3)
    assert s["class_accuracy"] == pytest.approx(1 / 2)


# ---------------------------------------------------------------------------------------------------- CLI


def run_tag(monkeypatch, capsys, argv: list[str], stdin: bytes = b"") -> tuple[int, str, str]:
    import io
    import sys

    from newsmon.cli import main

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    code = main(["tag", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_tag_adds_relations_and_reads_a_date_per_line(monkeypatch, capsys):
    import json

    lines = [
        # Blinken was Secretary of State until 2025-01-20: his bare name counts only with an article date in term
        {"id": "old", "date": "2023-05-01", "text": "Blinken criticised Beijing over the balloon."},
        {"id": "new", "date": "2026-05-01", "text": "Blinken criticised Beijing over the balloon."},
        {"id": "t", "title": "US sanctions Russian banks", "text": "Markets fell."},
    ]
    code, out, err = run_tag(monkeypatch, capsys, [], "\n".join(json.dumps(x) for x in lines).encode())
    assert code == 0 and err == ""
    old, new, titled = (json.loads(line) for line in out.splitlines())
    assert old["relations"] == [
        {
            "source": "US",
            "target": "CN",
            "class": "verbal_conflict",
            "sentence": 0,
            "cue": "criticised",
            "reported": False,
            "evidence": "Blinken criticised Beijing over the balloon.",
        }
    ]
    assert new["relations"] == [] and new["countries"] == ["CN"]
    assert [(r["source"], r["target"], r["sentence"]) for r in titled["relations"]] == [("US", "RU", -1)]
    assert "mentions" in old and "pairs" in old  # the tagger's output is all still there


def test_cli_tag_bad_date_line_is_skipped_with_one_line_error(monkeypatch, capsys):
    import json

    lines = [
        {"id": 1, "date": "yesterday", "text": "Moscow warned Washington."},
        {"id": 2, "date": 5, "text": "x"},
    ]
    lines.append({"id": 3, "text": "Moscow warned Washington."})
    code, out, err = run_tag(
        monkeypatch, capsys, ["--date", "2026-11-28"], "\n".join(map(json.dumps, lines)).encode()
    )
    assert code == 2
    assert [json.loads(line)["id"] for line in out.splitlines()] == [3]
    assert "line 1: not a date: 'yesterday'" in err and 'line 2: "date" must be a string' in err
    assert err.strip().splitlines()[-1] == "newsmon tag: 2 input line(s) could not be tagged: 1, 2"


def test_cli_tag_plain_text(monkeypatch, capsys):
    import json

    code, out, _ = run_tag(
        monkeypatch, capsys, ["--text", "--date", "2026-11-28"], b"Xi met Putin in Moscow."
    )
    assert code == 0
    rels = json.loads(out)["relations"]
    assert {(r["source"], r["target"], r["class"]) for r in rels} == {("CN", "RU", VC), ("RU", "CN", VC)}
