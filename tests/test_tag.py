"""The taxonomy's rules, one small case each (shared/taxonomy.md): relevance, topics, overlaps, languages, evidence."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pipeline.config import ConfigError, load_taxonomy
from pipeline.tagging import Tagger
from pipeline.tagging.lexicon import fold, tokenize

TREATY = "Presidents Putin and Pezeshkian signed a comprehensive strategic partnership treaty in Moscow on Friday."


def topics(result) -> set[str]:
    return {t.topic for t in result.topics}


def assert_evidence_slices(result, title: str, text: str) -> None:
    evidences = [t.evidence for t in result.topics] + ([result.evidence] if result.evidence else [])
    for evidence in evidences:
        source = title if evidence.field == "title" else text
        assert source[evidence.start : evidence.end] == evidence.text
    for mention in result.entities:
        source = title if mention.field == "title" else text
        assert source[mention.start : mention.end] == mention.text


# ---------------------------------------------------------------- relevance


@pytest.fixture(scope="module")
def tagger(rule_tagger):
    """These tests pin the rules' own behaviour (the learned model's inputs); the shipped tagger, rules and model
    together, is tested in test_tagging_quality.py."""
    return rule_tagger


def test_a_transfer_between_the_two_states_is_relevant_with_its_sentence_as_evidence(tagger):
    text = "Officials spoke on Monday. Russia will deliver Su-35 fighter jets to Iran next year, the ministry said."
    result = tagger.tag("Jets for Tehran", text)
    assert result.relevant and result.relevance >= 0.6
    assert result.evidence.text == "Russia will deliver Su-35 fighter jets to Iran next year, the ministry said."
    assert topics(result) == {"defence"}
    assert_evidence_slices(result, "Jets for Tehran", text)


def test_an_oil_market_report_naming_both_is_not_relevant(tagger):
    text = (
        "Oil prices rose on Friday as traders weighed fresh US sanctions on Russia's oil sector and rising "
        "tensions around Iran. The market is pricing in the possibility that both Russian and Iranian barrels "
        "become harder to move, a strategist said. Brent crude climbed above 79 dollars a barrel."
    )
    result = tagger.tag("Oil prices rise on Iran tensions and Russia sanctions", text)
    assert not result.relevant and result.topics == ()


def test_a_russia_north_korea_treaty_naming_iran_in_passing_is_not_relevant(tagger):
    text = (
        "The treaty between Russia and North Korea, signed by Vladimir Putin and Kim Jong Un in Pyongyang, "
        "obliges each side to provide military assistance. It revives a clause of the Soviet-era treaty between "
        "the two states. Russian officials frequently list North Korea alongside Iran, Belarus and others when "
        "they speak of partners. Delegations from the two countries now meet almost every month."
    )
    result = tagger.tag("Russia–North Korea defence pact enters into force", text)
    assert not result.relevant


def test_a_list_of_brics_members_is_not_relevant(tagger):
    text = (
        "BRICS was founded by Brazil, Russia, India and China. Egypt, Ethiopia, Iran and the United Arab "
        "Emirates became full members in 2024. Members include Brazil, Russia, India, China, South Africa and Iran."
    )
    assert not tagger.tag("Who is in BRICS now?", text).relevant


def test_a_multilateral_frame_counts_when_the_pair_itself_is_discussed(tagger):
    text = (
        "On the sidelines of the BRICS summit in Kazan, Putin met Pezeshkian and discussed the Rasht–Astara "
        "railway, which Russia is financing with a state loan."
    )
    result = tagger.tag("BRICS summit", text)
    assert result.relevant
    assert {"diplomacy", "transport", "finance"} <= topics(result)


def test_markets_that_include_both_are_co_occurrence(tagger):
    text = (
        "Shipments of foldable phones rose in India, Indonesia, Brazil, Turkey, Russia, Iran, Egypt and Nigeria. "
        "In several markets, including Russia and Iran, grey imports remain an important channel."
    )
    assert not tagger.tag("Foldable phones lead growth", text).relevant


def test_one_paragraph_about_the_pair_makes_an_article_relevant(tagger):
    text = (
        "The five Caspian states agreed to keep a ban on sturgeon fishing.\n"
        "Kazakhstan and Turkmenistan said poaching remained the main threat.\n"
        "Russia and Iran agreed to run a joint programme to release young sturgeon into the sea."
    )
    result = tagger.tag("Caspian states agree on fishing quotas", text)
    assert result.relevant and topics(result) == {"agriculture"}


def test_the_two_countries_means_russia_and_iran_only_after_they_were_named(tagger):
    football = (
        "Iran's under-23 team beat Uzbekistan 2-1. Uzbekistan started the brighter of the two sides. "
        "The coach once played in Russia's lower divisions before returning to Iran."
    )
    assert not tagger.tag("Iran edge Uzbekistan", football).relevant
    bilateral = (
        "Putin hosted Pezeshkian at the Kremlin. The two countries agreed to expand the North–South transport corridor."
    )
    result = tagger.tag("Talks in Moscow", bilateral)
    assert result.relevant and "transport" in topics(result)


def test_a_place_stands_for_its_state_only_with_a_relation_cue(tagger):
    visit = "A Russian naval group arrived in Bandar Abbas on Saturday to take part in a joint exercise, the navy said."
    result = tagger.tag("Warships dock", visit)
    assert result.relevant and "Bandar Abbas" in result.evidence.text and topics(result) == {"defence"}
    assembly = "Иранские беспилотники поставляют в Татарстан, где их собирают на заводе в Алабуге."
    assert tagger.tag("Сборка дронов", assembly).relevant
    # "with" is no relation, a place of the same state is no pair, and two places need a relation cue too
    route = "The rail route avoids Russian territory and is shorter than the sea route with Bandar Abbas."
    assert not tagger.tag("China–Iran freight train", route).relevant
    same_state = "Iran will supply gas to Bushehr, Isfahan and Tabriz from the new pipeline."
    assert not tagger.tag("Gas for three cities", same_state).relevant
    cities = "Flights between Kazan and Mashhad were cancelled because of the weather."
    assert not tagger.tag("Weather", cities).relevant
    universities = (
        "Ferdowsi University of Mashhad and St Petersburg State University signed a memorandum on joint "
        "research in nanotechnology."
    )
    result = tagger.tag("University memorandum", universities)
    assert result.relevant and topics(result) == {"science_technology"}


def test_a_headline_relating_the_pair_lets_a_sentence_naming_both_count(tagger):
    title = "Iran completes land for Rasht–Astara railway; Russia releases first loan tranche"
    text = (
        "Iran has completed the acquisition of land along the planned railway, officials said.\n"
        "Moscow and Tehran say the line could eventually carry 15 million tonnes of cargo a year."
    )
    result = tagger.tag(title, text)
    assert result.relevant and result.evidence.field == "text" and result.evidence.text.startswith("Moscow and")
    # the headline alone does not do it, nor does a sentence that sets the two side by side
    assert not tagger.tag(title, "Iran has completed the acquisition of land along the planned railway.").relevant
    side_by_side = "Both Russian and Iranian officials say the line will be busy."
    assert not tagger.tag(title, side_by_side).relevant
    # nor does a sentence naming both under a headline that does not relate them
    assert not tagger.tag("Railway news", text).relevant


def test_a_state_name_inside_the_other_states_longer_name_is_not_a_mention(tagger):
    # «بانک مرکزی» (the Central Bank, of Iran by default) inside «بانک مرکزی روسیه» (the Bank of Russia)
    digest = "• بانک مرکزی روسیه نرخ بهره پایه را ثابت نگه داشت؛ روبل در برابر دلار اندکی تقویت شد."
    assert not tagger.tag("خلاصه اخبار اقتصادی", digest).relevant


def test_a_pair_reference_next_to_a_third_state_means_that_pair(tagger):
    text = (
        "Russian and Iranian officials discussed the corridor. Armenia's frontier with Iran is patrolled by "
        "Russian border guards under a bilateral treaty between Yerevan and Moscow."
    )
    result = tagger.tag("Border crossing", text)
    assert "counter_terrorism" not in topics(result)


def test_a_launch_on_the_other_states_rocket_relates_them(tagger):
    text = "It is the third launch of Iranian satellites on a Russian rocket since 2022."
    result = tagger.tag("Two satellites in orbit", text)
    assert result.relevant and topics(result) == {"space"}


def test_under_a_relating_headline_two_adjacent_sentences_relate_the_pair(tagger):
    title = "ФСБ задержала ячейку «Вилаята Хорасан» по наводке иранских спецслужб"
    text = (
        "ФСБ России задержала в Подмосковье трёх членов ячейки, готовивших теракт. "
        "Операция проведена на основе информации, полученной от Министерства разведки Ирана в рамках соглашения "
        "об обмене данными."
    )
    result = tagger.tag(title, text)
    assert result.relevant and topics(result) == {"counter_terrorism"}
    assert not tagger.tag("Задержание в Подмосковье", text).relevant  # the text alone does not relate them


# Sentences that name both states without relating them: side by side, compared, in two clauses, as sources,
# as alternatives, or a state's own flows.
NOT_RELATED = [
    ("rivals", "Oil outlook", "Russia competes with Iran for the same buyers in China, traders said."),
    (
        "rivals, Russian",
        "Нефтяной рынок",
        "Аналитики отмечают, что российская и иранская нефть фактически конкурируют за одних покупателей.",
    ),
    (
        "two flows",
        "Oil prices",
        "Prices rose on the continued effect of Western sanctions on Russian and Iranian exports.",
    ),
    (
        "two clauses",
        "Riyadh and the oil market",
        "Saudi Arabia has led the Opec+ alliance together with Russia since "
        "2016; the policy has cut the revenue of producers such as Iran.",
    ),
    (
        "an example of a group",
        "Kim ratifies treaty",
        "Analysts noted that the mutual defence clause goes further than "
        "the agreements Moscow has with other partners, including Iran.",
    ),
    (
        "two sources",
        "Газовый хаб",
        "Турция ежегодно импортирует около 20 млрд кубометров газа из России, а контракт на "
        "импорт газа из Ирана истекает в 2026 году.",
    ),
    (
        "a state's own flows",
        "Oil climbs",
        "You have Iranian exports under pressure from the maximum-pressure "
        "campaign, and you have new designations against Russia's shadow fleet.",
    ),
    (
        "Persian clauses",
        "بازار نفت",
        "صادرات نفت ایران تحت فشار است و تحریم‌های تازه علیه ناوگان سایه روسیه خریداران را محتاط کرده است.",
    ),
    (
        "a match",
        "Футбол",
        "Сборная России по футболу сыграла вничью 1:1 с командой Ирана в товарищеском матче в Тегеране.",
    ),
    (
        "a friendly",
        "Friendly",
        "Russia and Iran drew 1-1 in an international football friendly at Tehran's Azadi Stadium.",
    ),
    (
        "a comparison",
        "Pyongyang treaty",
        "Article 4 obliges Pyongyang and Moscow to provide military assistance. "
        "Russia's treaty with Iran signed in 2025, by comparison, contains no such clause.",
    ),
    (
        "alternatives",
        "Oil market weekly",
        "Any disruption to Iranian or Russian exports would likely be offset by spare capacity.",
    ),
    (
        "a quantity after 'with'",
        "Gas reserves",
        "Russia holds the largest proven gas reserves, with 47 trillion cubic "
        "metres, and Iran with 32 trillion comes second.",
    ),
    (
        "a ranking",
        "Sanctions tracker",
        "Russia remains the world's most sanctioned country with more than 24,000 "
        "measures imposed since 2014, followed by Iran with about 5,600.",
    ),
]

# Close relatives of those that do relate the two.
RELATED = [
    (
        "a verb after two adjectives' noun",
        "Gas memorandum",
        "Russian and Iranian officials signed a memorandum on gas supplies in Tehran.",
    ),
    (
        "a compound adjective",
        "Power unit",
        "A Russian-built power plant unit started feeding Iran's grid on Monday, the ministry said.",
    ),
    ("a flow with its direction", "Wheat", "Russian supplies of wheat to Iran doubled this season, the ministry said."),
    (
        "a state body by its full name",
        "Вербовщики ИГ",
        "Федеральная служба безопасности совместно с иранскими спецслужбами пресекла деятельность сети вербовщиков.",
    ),
]


def test_a_story_about_a_third_state_that_mentions_the_pair_in_passing_is_not_relevant(tagger):
    title = "Iran and China review 25-year pact as Chinese investment lags"
    text = (
        "Iran and China reviewed their 25-year cooperation programme in Beijing on Monday.\n"
        "Chinese investment has lagged far behind the figures promised in 2021, Iranian officials said. "
        "Tehran has in recent years signed a comprehensive partnership treaty with Russia as well, and is seeking "
        "to diversify its foreign partners."
    )
    assert not tagger.tag(title, text).relevant
    # a paragraph that discusses the pair inside the other story still counts
    discussed = text + (
        "\nThe treaty with Russia covers defence and energy. Russia has also agreed to supply gas "
        "to Iran through Azerbaijan."
    )
    assert tagger.tag(title, discussed).relevant


@pytest.mark.parametrize("title, text", [case[1:] for case in NOT_RELATED], ids=[case[0] for case in NOT_RELATED])
def test_naming_both_without_relating_them_is_not_relevant(tagger, title, text):
    assert not tagger.tag(title, text).relevant


@pytest.mark.parametrize("title, text", [case[1:] for case in RELATED], ids=[case[0] for case in RELATED])
def test_close_relatives_that_do_relate_them(tagger, title, text):
    assert tagger.tag(title, text).relevant


# ---------------------------------------------------------------- how a topic is earned


def test_a_bare_sector_list_earns_no_topic(tagger):
    text = (
        f"{TREATY} The news agency TASS called it a 360-degree partnership and listed its scope in a single "
        "sentence: defence, counter-terrorism, energy, finance, transport, industry, agriculture and culture."
    )
    assert topics(tagger.tag("Russia and Iran sign a treaty", text)) == {"diplomacy"}


def test_a_quoted_sector_list_earns_no_topic_but_an_item_with_content_does(tagger):
    quoted = f'{TREATY} The treaty covers "defence, energy, finance and transport", the Kremlin said.'
    assert topics(tagger.tag("Treaty signed", quoted)) == {"diplomacy"}
    with_content = (
        f"{TREATY} The two countries will cooperate in defence, energy and the development of Caspian "
        "ports and a north–south freight corridor."
    )
    assert "transport" in topics(tagger.tag("Treaty signed", with_content))


def test_a_mixed_list_of_goods_earns_none_of_its_domains(tagger):
    text = (
        "Trade between Russia and Iran rose 15 percent last year. Iranian exports to Russia were mainly fruit, "
        "vegetables, plastics, building materials and car parts."
    )
    assert topics(tagger.tag("Russia–Iran trade turnover grows", text)) == {"trade"}


def test_a_satellite_launch_is_space_only(tagger):
    text = (
        "An Iranian imaging satellite built by a university research institute was launched on a Russian "
        "Soyuz rocket from the Vostochny cosmodrome. Iran's defence ministry will use its images for military "
        "mapping, officials in Tehran said, and Roscosmos said it would launch more Iranian satellites."
    )
    result = tagger.tag("Iran's satellite launched on Russian rocket", text)
    assert result.relevant and topics(result) == {"space"}


def test_diplomacy_needs_leader_foreign_minister_or_security_council_level(tagger):
    low = (
        "Iran's ambassador in Moscow said relations between Russia and Iran were at their best level in history. "
        "He met Russia's deputy foreign minister for talks on consular matters."
    )
    assert "diplomacy" not in topics(tagger.tag("Envoy praises ties", low))
    high = "Russian Foreign Minister Sergei Lavrov held talks with Iran's Abbas Araghchi in Moscow on Friday."
    result = tagger.tag("Lavrov meets Araghchi", high)
    assert "diplomacy" in topics(result)
    security = (
        "Sergei Shoigu, secretary of Russia's Security Council, met Ali Larijani in Tehran, and the two "
        "sides agreed to share intelligence on extremist groups."
    )
    assert {"diplomacy", "counter_terrorism"} <= topics(tagger.tag("Security chiefs meet", security))


def test_sanctions_needs_the_framing_not_just_the_word(tagger):
    framed = (
        "Russia and Iran have linked their Mir and Shetab card networks to get around Western sanctions, "
        "the central banks of the two countries said."
    )
    assert {"finance", "sanctions"} <= topics(tagger.tag("Card link", framed))
    described = (
        "Russia and Iran, the two most sanctioned countries in the world, have linked their Mir and Shetab "
        "card networks, the central banks of the two countries said."
    )
    result = tagger.tag("Card link", described)
    assert "finance" in topics(result) and "sanctions" not in topics(result)
    # a joint position against UN sanctions over Iran's nuclear programme is about the programme, not a
    # cooperation framed by sanctions
    snapback = (
        "Lavrov and Araghchi said Moscow and Tehran jointly reject European efforts to reimpose UN "
        "sanctions over Iran's nuclear programme."
    )
    found = topics(tagger.tag("Ministers meet", snapback))
    assert "nuclear" in found and "sanctions" not in found


def test_sanctions_imposed_because_of_the_cooperation(tagger):
    text = (
        "The European Union imposed sanctions on Iranian companies for supplying drones and missiles to "
        "Russia, which uses them in Ukraine."
    )
    assert {"defence", "sanctions"} <= topics(tagger.tag("EU sanctions drone suppliers", text))
    # the designating state and the go-betweens crowd the sentence, and it is still about the pair
    crowded = (
        "Iran has shipped Shahed drones to Russia for two years, officials say. The US Treasury sanctioned six "
        "companies in China and the United Arab Emirates and two Iranian nationals for procuring engines that "
        "were later delivered to Russia."
    )
    assert {"defence", "sanctions"} <= topics(tagger.tag("US sanctions drone suppliers", crowded))
    # UN sanctions over the nuclear programme (the snapback) are the nuclear story
    snapback = (
        "Pezeshkian told Putin that Tehran counts on Moscow's support in opposing the illegal return of UN "
        "sanctions over its nuclear programme."
    )
    assert "sanctions" not in topics(tagger.tag("Snapback", snapback))


@pytest.mark.parametrize(
    "text, expected",
    [
        # a university agreement is science_technology (plus culture with student exchanges or language teaching)
        (
            "Moscow State University and the University of Tehran signed an agreement on joint research in physics.",
            {"science_technology"},
        ),
        (
            "Russian and Iranian universities agreed on joint research in medicine and on student exchanges and "
            "Russian language courses in Tehran.",
            {"science_technology", "culture"},
        ),
        # grain trade is agriculture, not trade
        (
            "Russian wheat exports to Iran doubled this season, and Iran also bought barley from Russia.",
            {"agriculture"},
        ),
        # a state loan for a project is finance plus the project's own topic
        ("Russia will lend Iran 1.3 billion euros for the Rasht–Astara railway.", {"finance", "transport"}),
        # the EAEU–Iran FTA is trade
        (
            "The free-trade agreement between Iran and the Eurasian Economic Union cut tariffs on Russian goods.",
            {"trade"},
        ),
        # SWIFT alternatives are finance; sanctions only under the sanctions rule
        ("The central banks of Russia and Iran connected their SPFS and SEPAM messaging systems.", {"finance"}),
        # nuclear power is nuclear, not energy
        (
            "Rosatom will build two more nuclear power units at Bushehr for Iran and supply their nuclear fuel.",
            {"nuclear"},
        ),
        # the defence industry is defence
        ("Russia and Iran agreed to produce Shahed drones at a factory in Tatarstan.", {"defence"}),
    ],
)
def test_overlap_rules(tagger, text, expected):
    assert topics(tagger.tag("", text)) == expected


def test_a_quoted_persian_sector_list_ends_at_its_closing_quote(tagger):
    text = (
        "ایران و روسیه معاهده مشارکت راهبردی جامع را امضا کردند. این سند از همکاری در «حوزه‌های دفاعی، امنیتی، "
        "اقتصادی، انرژی، حمل‌ونقل، فرهنگی و علمی» سخن می‌گوید، اما جزئیاتی ندارد."
    )
    assert topics(tagger.tag("معاهده", text)) == {"diplomacy"}


def test_financing_of_militants_is_security_and_a_vice_president_is_not_leader_level(tagger):
    militants = (
        "Russia and Iran agreed to exchange data on the movement of fighters from Afghanistan and on their "
        "financing channels, including cryptocurrency wallets."
    )
    assert topics(tagger.tag("Security talks", militants)) == {"counter_terrorism"}
    rosatom = (
        "Rosatom head Alexei Likhachev held talks in Tehran with Iran's vice president Mohammad Eslami on "
        "the second unit of the Bushehr nuclear power plant."
    )
    assert topics(tagger.tag("Bushehr talks", rosatom)) == {"nuclear"}


def test_lending_is_finance_only_when_money_is_lent(tagger):
    museum = "The Hermitage in St Petersburg will lend Tehran's National Museum 200 manuscripts for an exhibition."
    assert topics(tagger.tag("Exhibition", museum)) == {"culture"}
    money = "Russia will lend Iran 1.3 billion euros to build the Rasht–Astara railway."
    assert {"finance", "transport"} <= topics(tagger.tag("Loan", money))


def test_an_experts_affiliation_is_not_science_cooperation(tagger):
    text = (
        "Russia and Iran signed a grain agreement, said Elena Dunaeva, a senior researcher at the Institute of "
        "Oriental Studies of the Russian Academy of Sciences."
    )
    assert topics(tagger.tag("Grain deal", text)) == {"agriculture"}
    quote = (
        "«Для России Иран важен как партнёр на Каспии», — отметила ведущий научный сотрудник Института "
        "востоковедения РАН Нина Мамедова."
    )
    assert topics(tagger.tag("Шойгу в Тегеране", quote)) == set()


def test_a_nuclear_plants_power_is_nuclear_not_energy(tagger):
    text = (
        "Rosatom said it was ready to take part in building a new power plant for Iran in Hormozgan province, "
        "next to the Bushehr nuclear power plant."
    )
    assert topics(tagger.tag("Rosatom in Hormozgan", text)) == {"nuclear"}


def test_persian_words_that_only_look_like_topic_words(tagger):
    # «پیمانکاران» (contractors) is not «پیمان» (a pact); «حمل و نقل» is one item of a bare list
    contractors = (
        "روسیه برای راه‌آهن رشت-آستارا به ایران وام می‌دهد و عملیات ریل‌گذاری توسط پیمانکاران روس و ایرانی آغاز می‌شود."
    )
    assert "diplomacy" not in topics(tagger.tag("وام روسیه", contractors))
    bare_list = (
        "پزشکیان و پوتین دیدار کردند. پزشکیان با اشاره به همکاری‌ها در زمینه‌های انرژی، حمل و نقل، "
        "کشاورزی و گردشگری گفت: «اراده دو کشور برای گسترش مناسبات جدی است.»"
    )
    assert topics(tagger.tag("دیدار پزشکیان و پوتین", bare_list)) == {"diplomacy"}


def test_an_airline_buying_the_other_states_aircraft_is_industry(tagger):
    text = "Iran Air plans to renew its fleet with Russian-made aircraft, the airline said."
    assert topics(tagger.tag("Iran Air fleet", text)) == {"industry"}


def test_a_topic_word_naming_a_sector_is_weak(tagger):
    sphere = (
        "Russia–Iran trade grew by 15 per cent after the free-trade agreement took effect. The ministry also "
        "noted positive dynamics in the transport and logistics sphere."
    )
    assert topics(tagger.tag("Trade grows", sphere)) == {"trade"}
    railway = "Russia–Iran trade grew by 15 per cent. Russia will finance the Rasht–Astara railway, the ministry said."
    assert "transport" in topics(tagger.tag("Trade grows", railway))


def test_a_domain_named_as_absent_earns_nothing(tagger):
    text = (
        "Putin received Araghchi in the Kremlin after the strikes, but Russia offered no military assistance to Tehran."
    )
    assert topics(tagger.tag("Kremlin talks", text)) == {"diplomacy"}
    visa_free = "Iran and Russia launched visa-free group travel, and Russian tourists can now travel without visas."
    assert "culture" in topics(tagger.tag("Tourism", visa_free))


def test_a_bare_list_may_end_in_the_sentence_that_carries_it(tagger):
    text = (
        "Russia and Iran signed a memorandum. The two sides also listed trade, logistics, education and tourism "
        "as areas for their next joint working group."
    )
    assert topics(tagger.tag("Memorandum", text)) == set()


def test_a_meeting_place_religious_leaders_and_a_rocket_stage_are_not_their_domains(tagger):
    venue = "Russian and Iranian border services held consultations on drug smuggling in Astrakhan."
    assert topics(tagger.tag("Border talks", venue)) == {"counter_terrorism"}
    clergy = (
        "Russian and Iranian clergy met in Kazan. Participants discussed the role of religious leaders in "
        "educating young people."
    )
    assert "diplomacy" not in topics(tagger.tag("Interfaith dialogue", clergy))
    fregat = (
        "Российская ракета «Союз-2.1б» вывела на орбиту иранский спутник «Зафар». "
        "Все аппараты отделились от разгонного блока «Фрегат» в расчётное время."
    )
    assert topics(tagger.tag("Запуск", fregat)) == {"space"}


def test_a_port_city_dateline_is_not_transport(tagger):
    text = "АСТРАХАНЬ, 10 ноября.\nЭкспорт российской пшеницы в Иран вырос вдвое, сообщил Россельхознадзор."
    assert topics(tagger.tag("Пшеница для Ирана", text)) == {"agriculture"}


def test_a_generic_word_does_not_earn_a_topic_in_a_sentence_about_another_domain(tagger):
    text = (
        "Warships from Russia and Iran began a joint naval exercise near the port of Chabahar. "
        "Russia and Iran plan to manufacture parts for civilian aircraft as their airlines struggle."
    )
    assert topics(tagger.tag("Drill and aircraft parts", text)) == {"defence", "industry"}


def test_a_route_is_not_transport_cooperation(tagger):
    route = "Russia will swap crude oil with Iran, delivering it by tanker from its Caspian ports."
    assert topics(tagger.tag("", route)) == {"energy"}
    corridor = (
        "Russia and Iran agreed to build the Rasht–Astara railway and expand Caspian shipping for their grain trade."
    )
    assert {"transport", "agriculture"} <= topics(tagger.tag("", corridor))


def test_parts_of_longer_terms_and_excluded_phrases_do_not_count(tagger):
    sunflower = "Iran signed contracts to import sunflower oil and potash fertiliser from Russia."
    assert topics(tagger.tag("", sunflower)) == {"agriculture"}  # "oil" is inside "sunflower oil"
    images = "The first Russian Su-35 jets have arrived in Iran, according to satellite images."
    assert topics(tagger.tag("", images)) == {"defence"}  # satellite pictures are a source, not space


# ---------------------------------------------------------------- languages


def test_russian_inflected_forms(tagger):
    text = (
        "Россия поставит Ирану истребители Су-35 в следующем году. Сотрудничество России с Ираном в "
        "военной сфере расширяется. Россией и Ираном также подписано соглашение о поставках газа."
    )
    result = tagger.tag("Москва и Тегеран укрепляют связи", text)
    assert result.relevant and {"defence", "energy"} <= topics(result)
    assert_evidence_slices(result, "Москва и Тегеран укрепляют связи", text)


def test_russian_words_match_every_case_but_not_lookalikes(tagger):
    gas = "«Газпром» и НИГК подписали контракт о поставках газа из России в Иран."
    assert "energy" in topics(tagger.tag("", gas))
    newspaper = "Россия и Иран подписали соглашение о сотрудничестве, сообщила газета «Коммерсант»."
    assert "energy" not in topics(tagger.tag("", newspaper))  # «газета» is not «газ»


def test_persian_half_spaces_and_spelling_variants(tagger):
    half_space = "همکاری‌های نظامی ایران و روسیه با تحویل جنگنده‌های سوخو-۳۵ گسترش یافت."
    plain_space = "همکاری های نظامی ايران و روسيه با تحويل جنگنده های سوخو-35 گسترش يافت."  # Arabic ي, space
    for text in (half_space, plain_space):
        result = tagger.tag("", text)
        assert result.relevant and topics(result) == {"defence"}
        assert_evidence_slices(result, "", text)


def test_folding_keeps_offsets_and_tokens_join_persian_suffixes():
    text = "Rasht–Astara ي ك همکاری‌ها ё"
    assert len(fold(text)) == len(text)
    words = [t.word for t in tokenize("همکاری‌های نظامی و برنامه هسته‌ای")]
    # "هسته" + "ای" keeps its half-space, so that it is not read as the plural of "هست" ("is")
    assert words == ["همکاریهای", "نظامی", "و", "برنامه", "هسته\u200cای"]


def test_persian_joined_suffixes_do_not_make_false_plurals(tagger):
    assert not [m for m in tagger.rules.lexicon.find("دو کشور دوست هست.") if "t:nuclear" in m.labels]  # «هست»: is
    assert not [m for m in tagger.rules.lexicon.find("نان یارانه‌ای") if "t:energy" in m.labels]  # not the Yaran field
    assert [m for m in tagger.rules.lexicon.find("برنامه هسته ای ایران") if "t:nuclear" in m.labels]


# ---------------------------------------------------------------- evidence, entities, versions


def test_evidence_offsets_slice_back_to_the_evidence_text(tagger):
    title = "Russia and Iran sign gas deal"
    text = (
        "Moscow, Jan 17.\n  Gazprom and the National Iranian Gas Company signed a contract on gas supplies "
        "to Iran.\nThe two presidents also discussed the treaty. Lavrov met Araghchi."
    )
    result = tagger.tag(title, text)
    assert result.relevant and {"energy", "diplomacy"} <= topics(result)
    assert_evidence_slices(result, title, text)
    assert all(t.evidence.field == "text" for t in result.topics)  # text evidence is preferred to the title


def test_entities_are_found_with_offsets(tagger):
    text = "Iran received Su-35 jets and S-400 systems from Russia, and Putin praised the Bushehr plant."
    result = tagger.tag("", text)
    found = {m.entity for m in result.entities}
    assert {"su-35", "s-400", "putin", "bushehr-npp"} <= found
    assert_evidence_slices(result, "", text)


def test_every_tag_carries_the_taxonomy_version(taxonomy):
    tagger = Tagger(replace(taxonomy, version="2099.1"))
    result = tagger.tag("", "Russia will deliver Su-35 fighter jets to Iran.")
    assert result.taxonomy_version == "2099.1"
    assert result.as_dict("x")["taxonomy_version"] == "2099.1"


def test_the_taxonomy_file_has_a_version_and_every_topic(taxonomy):
    assert taxonomy.version and taxonomy.sha256
    assert len(taxonomy.topics) == 14 and taxonomy.entities and taxonomy.leaders


TAXONOMY_HEAD = """version: "t1"
actors:
  russia: [Russia]
  iran: [Iran]
relation_cues: [sell*]
"""


def write_taxonomy(tmp_path, topics_yaml: str):
    from pipeline.config import TOPIC_IDS

    others = "".join(f"  {t}:\n    terms: [{t}word]\n" for t in TOPIC_IDS if f"  {t}:" not in topics_yaml)
    path = tmp_path / "taxonomy.yaml"
    path.write_text(TAXONOMY_HEAD + "topics:\n" + topics_yaml + others, encoding="utf-8")
    return path


def test_taxonomy_errors_name_the_file_line_and_key(tmp_path):
    bad_combination = (
        "  diplomacy:\n    terms: [treaty]\n    combinations:\n      - terms: [talks]\n        with: nobody\n"
    )
    with pytest.raises(ConfigError, match=r"taxonomy.yaml:\d+: topics.diplomacy.combinations\[0\].with: 'nobody'"):
        load_taxonomy(write_taxonomy(tmp_path, bad_combination))
    bad_star = '  energy:\n    terms: ["o*il"]\n'
    with pytest.raises(ConfigError, match=r"topics.energy.terms\[0\]: 'o\*il': \* must end a word"):
        load_taxonomy(write_taxonomy(tmp_path, bad_star))
    unknown_key = "  energy:\n    terms: [oil]\n    strong: [gas]\n"
    with pytest.raises(ConfigError, match=r"topics.energy.strong: unknown key"):
        load_taxonomy(write_taxonomy(tmp_path, unknown_key))
    no_letters = '  energy:\n    terms: [oil]\n    weak: ["--"]\n'
    with pytest.raises(ConfigError, match=r"topics.energy.weak\[0\]: '--' has no letter"):
        load_taxonomy(write_taxonomy(tmp_path, no_letters))


def test_a_minimal_taxonomy_still_tags(tmp_path):
    spec = load_taxonomy(write_taxonomy(tmp_path, "  energy:\n    terms: [oil]\n    weak: [energy]\n"))
    tagger = Tagger(spec)
    result = tagger.tag("", "Russia will sell oil to Iran.")
    assert result.relevant and topics(result) == {"energy"} and result.taxonomy_version == "t1"
